using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Engine;
using AdaDiff.Evaluation.Classifier;

namespace AdaDiff.Evaluation;

/// <summary>
/// The settings <c>adadiff-tools eval</c> (<see cref="EvalOptions"/>) and <c>eval text</c>
/// (<see cref="Text.TextEvalOptions"/>) both take; each declares its own default where they differ.
/// </summary>
public abstract record SharedEvalOptions
{
    /// <summary>Model package folder to evaluate.</summary>
    public abstract string Model { get; init; }

    /// <summary>Images per configuration, ≥ 10.</summary>
    public abstract int Samples { get; init; }

    /// <summary>
    /// Backend that generates the images: <see cref="EvalOptions.BackendOnnx"/> (default: the server's default, 1.4–2.7×
    /// faster on this CPU) or <see cref="EvalOptions.BackendTorchSharp"/>. Both run the same weights and pass the same
    /// conformance suite; ONNX Runtime reads the package's cached <c>onnx/</c> when it verifies against the weights, else
    /// exports the graphs from the weights and caches them there (packages carry no committed export).
    /// </summary>
    public string Backend { get; init; } = EvalOptions.BackendOnnx;

    /// <summary>Main sampler.</summary>
    public SamplerKind Sampler { get; init; } = SamplerKind.Ddim;

    /// <summary>Steps of the main sampler.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>
    /// Certainty thresholds swept; null (<c>--thresholds auto</c>, the default) picks them on a certainty probe so that
    /// they target <see cref="AutoTargets"/>, plus the model's default threshold.
    /// </summary>
    public IReadOnlyList<float>? Thresholds { get; init; }

    /// <summary>Fractions of layers saved that the automatic thresholds aim at (on the probe).</summary>
    public abstract IReadOnlyList<float> AutoTargets { get; init; }

    /// <summary>Noised test images in the certainty probe (each with its caption for a text model).</summary>
    public int ProbeRows { get; init; } = 500;

    /// <summary>
    /// Threshold of the headline results (the class model's targets, pictures and sampler comparison; the text model's
    /// grid); null chooses it from the sweep by <see cref="Internal.ThresholdSelection"/> (fewest layers within the quality bar).
    /// </summary>
    public float? Threshold { get; init; }

    /// <summary>Write the chosen threshold and its earliest exit layer into the package's model.json as its defaults.</summary>
    public bool WriteDefault { get; init; }

    /// <summary>Earliest exit layer; null takes the model's default.</summary>
    public int? MinLayers { get; init; }

    /// <summary>
    /// Classifier-free guidance scale (1 = conditional prediction alone, no extra rows); null takes the model's
    /// <see cref="ModelManifest.DefaultGuidanceScale"/>, the scale a client that leaves <c>guidance_scale</c> at 0 gets,
    /// so the evaluation measures what clients are served (3 for the default class model: on the 8.5-epoch weights it
    /// raised class accuracy from 36% to 64% and cut FID-proxy from 268 to 146 against scale 1, N = 100).
    /// </summary>
    public float? Guidance { get; init; }

    /// <summary>
    /// Base seed, the same in every configuration: image k of class c uses Seed + c·1,000,000 + k in the class
    /// evaluation; the text evaluation draws its prompts, captions and images from it.
    /// </summary>
    public ulong Seed { get; init; }

    /// <summary>Output folder of results.json, the markdown and the pictures.</summary>
    public abstract string Out { get; init; }

    /// <summary>Markdown report path; null writes <c>OUT.md</c> beside the output folder.</summary>
    public string? Markdown { get; init; }

    /// <summary>Classifier weights (trained and saved there when missing).</summary>
    public string ClassifierPath { get; init; } = ClassifierModel.DefaultPath;

    /// <summary>Folder of the Fashion-MNIST IDX files.</summary>
    public string DataDirectory { get; init; } = FashionMnist.DefaultDirectory;

    /// <summary>Most network rows per batch of the scheduler.</summary>
    public int MaxBatchRows { get; init; } = 128;

    /// <summary>Threads of the backend (libtorch or ONNX Runtime intra-op); 0 = all processors.</summary>
    public int Threads { get; init; }

    /// <summary>Free text saying what state the weights are in, printed in the report; null reads it from the manifest.</summary>
    public string? WeightsNote { get; init; }

    /// <summary>The command line as given, for the report.</summary>
    public abstract string CommandLine { get; init; }

    /// <summary>The guidance scale after defaults: <see cref="Guidance"/>, else the model's.</summary>
    public float GuidanceFor(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Guidance ?? manifest.DefaultGuidanceScale;
    }
}
