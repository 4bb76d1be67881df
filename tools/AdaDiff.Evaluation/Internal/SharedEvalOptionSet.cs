using System.CommandLine;
using AdaDiff.Engine;
using AdaDiff.Evaluation.Classifier;
using AdaDiff.Evaluation.Text;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Evaluation.Internal;

/// <summary>
/// The options <c>adadiff-tools eval</c> and <c>eval text</c> both take, on System.CommandLine, with one command's
/// defaults; where the two word an option's help differently (or bound it differently), both wordings stand side by
/// side here. That command's option set lists these among its own, in its order, and <see cref="Bind{T}"/> reads them
/// into the <see cref="SharedEvalOptions"/> part of its options. Each property is the option of its name.
/// </summary>
/// <param name="defaults">The command's options as they are when nothing is given: an <see cref="EvalOptions"/> or a <see cref="TextEvalOptions"/>.</param>
internal sealed class SharedEvalOptionSet(SharedEvalOptions defaults)
{
    public Option<string?> Model { get; } = ToolsCommandLine.Text("--model", PerCommand(defaults, "Model package", "Text model package (model.json says \"conditioning\": \"text\")"), defaults.Model, "DIR");

    public Option<int> Samples { get; } = ToolsCommandLine.Int("--samples", PerCommand(defaults, "Class-conditional images per configuration of the sweep and the comparisons, balanced over classes", "Prompts per configuration, one image each: captions of as many distinct test images"), defaults.Samples, min: 10);

    public Option<string> Backend { get; } = ToolsCommandLine.Parsed("--backend", PerCommand(defaults, "onnxruntime (the faster on CPU) | torchsharp: which backend generates", "onnxruntime | torchsharp: which backend generates"), t => EvalOptions.ParseBackend(t)!, defaults.Backend, "B");

    public Option<SamplerKind> Sampler { get; } = ToolsCommandLine.Parsed("--sampler", "ddim | ddpm | dpm-solver++", t => EvalOptions.ParseSampler(t)!.Value, defaults.Sampler, "S");

    public Option<int> Steps { get; } = ToolsCommandLine.Int("--steps", "Steps of that sampler", defaults.Steps, min: 1);

    public Option<string?> Thresholds { get; } = ToolsCommandLine.Text("--thresholds", PerCommand(defaults, "Certainty thresholds swept for the Pareto curve, or auto (default): chosen on a probe of noised test images to save --auto-targets of the layers, plus the model's default threshold", "Certainty thresholds swept, or auto (default): chosen on a probe of noised, captioned test images to save --auto-targets of the layers, plus the model's default"), "auto", "a,b,...|auto");

    public Option<float[]> AutoTargets { get; } = ToolsCommandLine.Parsed("--auto-targets", "Fractions of layers saved that the automatic thresholds aim at", t => ToolsCommandLine.ParseNumbers("--auto-targets", t), [.. defaults.AutoTargets], "a,b,...");

    public Option<int> ProbeRows { get; } = ToolsCommandLine.Int("--probe-rows", "Noised test images in that probe", defaults.ProbeRows, min: 1);

    public Option<double?> Threshold { get; } = ToolsCommandLine.NumberOrNull("--threshold", PerCommand(defaults, "Threshold of the targets, pictures and sampler comparison (default: chosen on the sweep: fewest layers with FID-proxy ≤ 1.05× full and class accuracy within 2 points of full)", "Threshold of the grid and headline (default: chosen on the sweep by the class model's rule, prompt agreement in place of class accuracy)"));

    public Option<bool> WriteDefault { get; } = ToolsCommandLine.Flag("--write-default", PerCommand(defaults, "Write the chosen threshold into the package's model.json (defaultThreshold)", "Write the chosen threshold into the package's model.json (defaultThreshold, defaultMinLayers)"));

    public Option<int?> MinLayers { get; } = ToolsCommandLine.IntOrNull("--min-layers", "Earliest exit layer (default: the model's)", min: 1);

    public Option<double?> Guidance { get; } = ToolsCommandLine.NumberOrNull("--guidance", PerCommand(defaults, "Classifier-free guidance scale of the class-conditional runs (default: the model's defaultGuidanceScale, what clients get; 1: the conditional prediction alone)", "Classifier-free guidance scale (default: the model's defaultGuidanceScale)"));

    public Option<int> Seed { get; } = ToolsCommandLine.Int("--seed", PerCommand(defaults, "Base seed; the same seeds in every configuration", "Seed of the prompt draw, the captions and the images"), (int)defaults.Seed, min: 0);

    public Option<string?> Out { get; } = ToolsCommandLine.Text("--out", "Where results.json and the PNGs go", defaults.Out, "DIR");

    public Option<string?> Markdown { get; } = ToolsCommandLine.Text("--markdown", $"The markdown report (default OUT.md beside it: {defaults.Out}.md)", helpName: "PATH");

    public Option<string?> Classifier { get; } = ToolsCommandLine.Text("--classifier", PerCommand(defaults, "Classifier weights; trained and saved there when missing (default: shipped)", "Classifier weights (default: shipped)"), defaults.ClassifierPath, "PATH");

    public Option<string?> Data { get; } = ToolsCommandLine.Text("--data", "Fashion-MNIST IDX folder", defaults.DataDirectory, "DIR");

    public Option<int> MaxBatchRows { get; } = ToolsCommandLine.Int("--max-batch-rows", "Network rows per batch", defaults.MaxBatchRows, min: PerCommand(defaults, 1, 2));

    public Option<int> Threads { get; } = ToolsCommandLine.Int("--threads", "Backend threads (0: all processors)", defaults.Threads, min: 0);

    public Option<string?> WeightsNote { get; } = ToolsCommandLine.Text("--weights-note", "What state the weights are in, for the report (default: from model.json)", helpName: "TEXT");

    /// <summary>
    /// <paramref name="options"/> (the command's own settings read) with these options of a parse without errors read
    /// into it, checked (<see cref="ArgumentException"/> naming the option otherwise).
    /// </summary>
    public T Bind<T>(ParseResult parse, T options)
        where T : SharedEvalOptions
    {
        SharedEvalOptions own = options;
        var bound = (T)(own with
        {
            Model = parse.GetValue(Model)!,
            Samples = parse.GetValue(Samples),
            Backend = parse.GetValue(Backend)!,
            Sampler = parse.GetValue(Sampler),
            Steps = parse.GetValue(Steps),
            Thresholds = ParseThresholds(parse.GetValue(Thresholds)),
            AutoTargets = parse.GetValue(AutoTargets)!,
            ProbeRows = parse.GetValue(ProbeRows),
            Threshold = (float?)parse.GetValue(Threshold),
            WriteDefault = parse.GetValue(WriteDefault),
            MinLayers = parse.GetValue(MinLayers),
            Guidance = (float?)parse.GetValue(Guidance),
            Seed = (ulong)parse.GetValue(Seed),
            Out = parse.GetValue(Out)!,
            Markdown = parse.GetValue(Markdown),
            ClassifierPath = parse.GetValue(Classifier) ?? ClassifierModel.DefaultPath,
            DataDirectory = parse.GetValue(Data)!,
            MaxBatchRows = parse.GetValue(MaxBatchRows),
            Threads = parse.GetValue(Threads),
            WeightsNote = parse.GetValue(WeightsNote),
        });
        Check(bound);
        return bound;
    }

    /// <summary><paramref name="eval"/> for <c>eval</c>'s options, <paramref name="evalText"/> for <c>eval text</c>'s.</summary>
    private static T PerCommand<T>(SharedEvalOptions defaults, T eval, T evalText) => defaults is TextEvalOptions ? evalText : eval;

    /// <summary>null for <c>auto</c> (chosen on the probe), else the list given.</summary>
    private static float[]? ParseThresholds(string? text) => text is null or "auto" ? null : ToolsCommandLine.ParseNumbers("--thresholds", text);

    private static void Check(SharedEvalOptions options)
    {
        foreach (float t in options.Thresholds ?? [])
        {
            if (!(t > 0f && t <= 1f))
            {
                throw new ArgumentException($"--thresholds: {t} is not in (0, 1]");
            }
        }
        foreach (float f in options.AutoTargets)
        {
            if (!(f >= 0f && f < 1f))
            {
                throw new ArgumentException($"--auto-targets: {f} is not a fraction in [0, 1)");
            }
        }
        if (options.Threshold is float x && !(x > 0f && x <= 1f))
        {
            throw new ArgumentException($"--threshold: {x} is not in (0, 1]");
        }
        if (options.Guidance < 0f)
        {
            throw new ArgumentException("--guidance: must be ≥ 0");
        }
    }
}
