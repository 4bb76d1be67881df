using System.CommandLine;
using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Engine;
using AdaDiff.Evaluation.Classifier;
using AdaDiff.Evaluation.Internal;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Evaluation;

/// <summary>Settings of one <c>adadiff-tools eval</c> run (<c>adadiff-tools eval --help</c> lists the options).</summary>
public sealed record EvalOptions
{
    /// <summary>Model package folder to evaluate.</summary>
    public string Model { get; init; } = "models/fashion-mnist-uvit";

    /// <summary>
    /// Optional second package evaluated with the same adaptive sweep, e.g. exit heads trained on a frozen
    /// backbone without the layer-wise loss (the paper's ablation baseline). Null skips it.
    /// </summary>
    public string? BaselineModel { get; init; }

    /// <summary>Label of the baseline package in tables and plots.</summary>
    public string BaselineLabel { get; init; } = "baseline package";

    /// <summary>Class-conditional images per configuration of the sweep and the comparisons (balanced over the classes), ≥ 10.</summary>
    public int Samples { get; init; } = 500;

    /// <summary>
    /// Images of the two runs the targets are judged on (full depth and the chosen threshold, main sampler), ≥ 10;
    /// 0 judges them on the sweep's runs. The same seeds as the sweep, extended.
    /// </summary>
    public int TargetSamples { get; init; } = 2000;

    /// <summary>Write the chosen threshold into the package's model.json as its <c>defaultThreshold</c>.</summary>
    public bool WriteDefault { get; init; }

    /// <summary>
    /// Backend that generates the images: <c>onnxruntime</c> (default: the server's default, 1.4–2.7× faster on this
    /// CPU) or <c>torchsharp</c>. Both run the same weights and pass the same conformance suite; ONNX Runtime reads
    /// the package's cached <c>onnx/</c> when it verifies against the weights, else exports the graphs from the
    /// weights and caches them there (packages carry no committed export).
    /// </summary>
    public string Backend { get; init; } = BackendOnnx;

    /// <summary>Name of the ONNX Runtime backend.</summary>
    public const string BackendOnnx = "onnxruntime";

    /// <summary>Name of the TorchSharp backend.</summary>
    public const string BackendTorchSharp = "torchsharp";

    /// <summary>Main sampler.</summary>
    public SamplerKind Sampler { get; init; } = SamplerKind.Ddim;

    /// <summary>Steps of the main sampler.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>
    /// Certainty thresholds swept for the Pareto curve; null (<c>--thresholds auto</c>, the default) picks them on a
    /// certainty probe so that they target <see cref="AutoTargets"/>, plus the model's default threshold.
    /// </summary>
    public IReadOnlyList<float>? Thresholds { get; init; }

    /// <summary>Fractions of layers saved that the automatic thresholds aim at (on the probe).</summary>
    public IReadOnlyList<float> AutoTargets { get; init; } = [0.1f, 0.25f, 0.4f, 0.45f, 0.5f, 0.6f];

    /// <summary>Noised test images in the certainty probe.</summary>
    public int ProbeRows { get; init; } = 500;

    /// <summary>
    /// Threshold of the targets, the pictures and the sampler comparison; null chooses it from the sweep by
    /// <see cref="Internal.ThresholdSelection"/> (fewest layers within the quality bar).
    /// </summary>
    public float? Threshold { get; init; }

    /// <summary>Earliest exit layer; null takes the model's default.</summary>
    public int? MinLayers { get; init; }

    /// <summary>
    /// Classifier-free guidance scale of the class-conditional runs (1 = conditional prediction alone, no extra rows);
    /// null takes the model's <see cref="ModelManifest.DefaultGuidanceScale"/>, the scale a client that leaves
    /// <c>guidance_scale</c> at 0 gets, so the evaluation measures what clients are served (3 for the default model: on
    /// the 8.5-epoch weights it raised class accuracy from 36% to 64% and cut FID-proxy from 268 to 146 against scale 1,
    /// N = 100).
    /// </summary>
    public float? Guidance { get; init; }

    /// <summary>The guidance scale after defaults: <see cref="Guidance"/>, else the model's.</summary>
    public float GuidanceFor(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Guidance ?? manifest.DefaultGuidanceScale;
    }

    /// <summary>Base seed; image k of class c uses Seed + c·1,000,000 + k in every configuration.</summary>
    public ulong Seed { get; init; }

    /// <summary>Output folder of results.json, the markdown and the pictures.</summary>
    public string Out { get; init; } = "docs/results";

    /// <summary>Markdown report path; null writes <c>OUT.md</c> beside the output folder (docs/results.md for docs/results).</summary>
    public string? Markdown { get; init; }

    /// <summary>Classifier weights (trained and saved there when missing).</summary>
    public string ClassifierPath { get; init; } = ClassifierModel.DefaultPath;

    /// <summary>Folder of the Fashion-MNIST IDX files.</summary>
    public string DataDirectory { get; init; } = FashionMnist.DefaultDirectory;

    /// <summary>Compare static truncation (FIXED_DEPTH) at the depths around each adaptive point.</summary>
    public bool StaticTruncation { get; init; } = true;

    /// <summary>
    /// Compare a timestep schedule: every image at step k runs the depth the per-sample exits at the chosen threshold
    /// took on average at step k (rounded), so the depth depends on the step alone.
    /// </summary>
    public bool TimestepSchedule { get; init; } = true;

    /// <summary>Compare the per-batch exit decision of the official code.</summary>
    public bool PerBatch { get; init; } = true;

    /// <summary>Compare samplers (DDPM, DDIM, DPM-Solver++) with and without exits.</summary>
    public bool StepComparison { get; init; } = true;

    /// <summary>Images of the DDPM comparison (its 1,000 steps make it the costly one); null = Samples / 10 (at least 10).</summary>
    public int? DdpmSamples { get; init; }

    /// <summary>Steps of the DDPM comparison.</summary>
    public int DdpmSteps { get; init; } = 1000;

    /// <summary>Steps of the DDIM comparison.</summary>
    public int DdimSteps { get; init; } = 50;

    /// <summary>Steps of the DPM-Solver++ comparison.</summary>
    public int DpmSolverSteps { get; init; } = 20;

    /// <summary>Unconditional images for the unconditional grid (0 skips it).</summary>
    public int UnconditionalSamples { get; init; } = 32;

    /// <summary>Images per generation job (the per-batch rule decides over one job).</summary>
    public int JobImages { get; init; } = 32;

    /// <summary>Most network rows per batch of the scheduler.</summary>
    public int MaxBatchRows { get; init; } = 128;

    /// <summary>Threads of the backend (libtorch or ONNX Runtime intra-op); 0 = all processors.</summary>
    public int Threads { get; init; }

    /// <summary>Free text saying what state the weights are in, printed in the report; null reads it from the manifest.</summary>
    public string? WeightsNote { get; init; }

    /// <summary>The command line as given, for the report.</summary>
    public string CommandLine { get; init; } = "adadiff-tools eval";

    /// <summary>The markdown report's path after defaults.</summary>
    public string ResolvedMarkdown
    {
        get
        {
            if (Markdown is not null)
            {
                return Markdown;
            }
            string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Out));
            return Path.Combine(Path.GetDirectoryName(full) ?? ".", Path.GetFileName(full) + ".md");
        }
    }

    /// <summary>Images of the DDPM comparison after defaults.</summary>
    public int ResolvedDdpmSamples => DdpmSamples ?? Math.Max(10, Samples / 10);

    /// <summary>Parses <c>eval</c>'s options; throws <see cref="ArgumentException"/> with a message for the user that names the option.</summary>
    public static EvalOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var set = new EvalOptionSet();
        ParseResult parse = set.Command().Parse(args, ToolsCommandLine.Parser);
        if (parse.Errors.Count > 0)
        {
            throw new ArgumentException(parse.Errors[0].Message);
        }
        return set.Bind(parse, CommandLineOf(args));
    }

    /// <summary>The command line of <c>eval</c> with <paramref name="args"/>, as the report prints it.</summary>
    internal static string CommandLineOf(IReadOnlyList<string> args) => "adadiff-tools eval" + (args.Count > 0 ? " " + string.Join(' ', args) : "");

    /// <summary>Parses onnxruntime (also onnx, ort) | torchsharp (also torch), or null for null.</summary>
    public static string? ParseBackend(string? text) => text?.ToLowerInvariant() switch
    {
        null => null,
        "onnxruntime" or "onnx" or "ort" => BackendOnnx,
        "torchsharp" or "torch" => BackendTorchSharp,
        _ => throw new ArgumentException($"--backend: '{text}' is not onnxruntime or torchsharp"),
    };

    /// <summary>Parses ddpm | ddim | dpm-solver++ (also dpmpp, dpm), or null for null.</summary>
    public static SamplerKind? ParseSampler(string? text) => text?.ToLowerInvariant() switch
    {
        null => null,
        "ddpm" => SamplerKind.Ddpm,
        "ddim" => SamplerKind.Ddim,
        "dpm-solver++" or "dpmpp" or "dpm" or "dpm-solver" => SamplerKind.DpmSolverPP2M,
        _ => throw new ArgumentException($"--sampler: '{text}' is not ddpm, ddim or dpm-solver++"),
    };
}
