using System.CommandLine;
using AdaDiff.Engine;
using AdaDiff.Evaluation.Internal;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Evaluation;

/// <summary>Settings of one <c>adadiff-tools eval</c> run (<c>adadiff-tools eval --help</c> lists the options).</summary>
public sealed record EvalOptions : SharedEvalOptions
{
    /// <summary>Model package folder to evaluate.</summary>
    public override string Model { get; init; } = "models/fashion-mnist-uvit";

    /// <summary>
    /// Optional second package evaluated with the same adaptive sweep, e.g. exit heads trained on a frozen
    /// backbone without the layer-wise loss (the paper's ablation baseline). Null skips it.
    /// </summary>
    public string? BaselineModel { get; init; }

    /// <summary>Label of the baseline package in tables and plots.</summary>
    public string BaselineLabel { get; init; } = "baseline package";

    /// <summary>Class-conditional images per configuration of the sweep and the comparisons (balanced over the classes), ≥ 10.</summary>
    public override int Samples { get; init; } = 500;

    /// <summary>
    /// Images of the two runs the targets are judged on (full depth and the chosen threshold, main sampler), ≥ 10;
    /// 0 judges them on the sweep's runs. The same seeds as the sweep, extended.
    /// </summary>
    public int TargetSamples { get; init; } = 2000;

    /// <summary>Name of the ONNX Runtime backend.</summary>
    public const string BackendOnnx = "onnxruntime";

    /// <summary>Name of the TorchSharp backend.</summary>
    public const string BackendTorchSharp = "torchsharp";

    /// <summary>Fractions of layers saved that the automatic thresholds aim at (on the probe).</summary>
    public override IReadOnlyList<float> AutoTargets { get; init; } = [0.1f, 0.25f, 0.4f, 0.45f, 0.5f, 0.6f];

    /// <summary>Output folder of results.json, the markdown and the pictures (its markdown by default: docs/results.md).</summary>
    public override string Out { get; init; } = "docs/results";

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

    /// <summary>The command line as given, for the report.</summary>
    public override string CommandLine { get; init; } = "adadiff-tools eval";

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
