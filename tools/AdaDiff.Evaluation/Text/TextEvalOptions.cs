using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Engine;
using AdaDiff.Evaluation.Classifier;

namespace AdaDiff.Evaluation.Text;

/// <summary>Settings of one <c>adadiff-tools eval text</c> run (<c>adadiff-tools eval text --help</c> lists the options).</summary>
public sealed record TextEvalOptions
{
    /// <summary>Text model package folder to evaluate (its manifest says <c>"conditioning": "text"</c>).</summary>
    public string Model { get; init; } = "models/fashion-mnist-text-uvit";

    /// <summary>Prompts per configuration (one image each), captions of as many distinct test images, ≥ 10.</summary>
    public int Samples { get; init; } = 1000;

    /// <summary>Backend that generates: <see cref="EvalOptions.BackendOnnx"/> (default) or <see cref="EvalOptions.BackendTorchSharp"/>.</summary>
    public string Backend { get; init; } = EvalOptions.BackendOnnx;

    /// <summary>Sampler.</summary>
    public SamplerKind Sampler { get; init; } = SamplerKind.Ddim;

    /// <summary>Sampling steps.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>Thresholds swept; null picks them on a certainty probe to save <see cref="AutoTargets"/>, plus the model's default.</summary>
    public IReadOnlyList<float>? Thresholds { get; init; }

    /// <summary>Fractions of layers saved that the automatic thresholds aim at (on the probe).</summary>
    public IReadOnlyList<float> AutoTargets { get; init; } = [0.1f, 0.25f, 0.4f, 0.5f, 0.6f];

    /// <summary>Noised test images in the certainty probe, each with its caption.</summary>
    public int ProbeRows { get; init; } = 500;

    /// <summary>Threshold of the grid and the headline; null chooses it by the class model's rule (<see cref="Internal.ThresholdSelection"/>).</summary>
    public float? Threshold { get; init; }

    /// <summary>Write the chosen threshold (and its earliest exit layer) into the package's model.json as its defaults.</summary>
    public bool WriteDefault { get; init; }

    /// <summary>Earliest exit layer; null takes the model's default.</summary>
    public int? MinLayers { get; init; }

    /// <summary>Classifier-free guidance scale; null takes the model's <see cref="ModelManifest.DefaultGuidanceScale"/> (what clients get).</summary>
    public float? Guidance { get; init; }

    /// <summary>Base seed of the prompt draw, the captions and the images.</summary>
    public ulong Seed { get; init; }

    /// <summary>Hand-written prompts of the grid; null takes <see cref="TextPrompts.DefaultGridPrompts"/>.</summary>
    public IReadOnlyList<string>? GridPrompts { get; init; }

    /// <summary>Seeds (columns) per grid prompt.</summary>
    public int GridSeeds { get; init; } = 6;

    /// <summary>Output folder of results.json and the pictures.</summary>
    public string Out { get; init; } = "docs/results-text";

    /// <summary>Markdown report; null writes <c>OUT.md</c> beside the output folder (docs/results-text.md).</summary>
    public string? Markdown { get; init; }

    /// <summary>Classifier weights (trained and saved there when missing).</summary>
    public string ClassifierPath { get; init; } = ClassifierModel.DefaultPath;

    /// <summary>Folder of the Fashion-MNIST IDX files.</summary>
    public string DataDirectory { get; init; } = FashionMnist.DefaultDirectory;

    /// <summary>Most network rows per batch.</summary>
    public int MaxBatchRows { get; init; } = 128;

    /// <summary>Backend threads; 0 = all processors.</summary>
    public int Threads { get; init; }

    /// <summary>What state the weights are in, for the report; null reads it from the manifest.</summary>
    public string? WeightsNote { get; init; }

    /// <summary>The command line as given, for the report.</summary>
    public string CommandLine { get; init; } = "adadiff-tools eval text";

    /// <summary>The guidance scale after defaults.</summary>
    public float GuidanceFor(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Guidance ?? manifest.DefaultGuidanceScale;
    }

    /// <summary>The markdown report's path after defaults.</summary>
    public string ResolvedMarkdown => Markdown ?? Path.TrimEndingDirectorySeparator(Path.GetFullPath(Out)) + ".md";
}
