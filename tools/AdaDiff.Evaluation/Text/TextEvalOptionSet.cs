using System.CommandLine;
using AdaDiff.Engine;
using AdaDiff.Evaluation.Classifier;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Evaluation.Text;

/// <summary>The options of <c>adadiff-tools eval text</c> on System.CommandLine, and their binding to <see cref="TextEvalOptions"/>.</summary>
internal sealed class TextEvalOptionSet
{
    private static readonly TextEvalOptions Defaults = new();

    private readonly Option<string?> model = ToolsCommandLine.Text("--model", "Text model package (model.json says \"conditioning\": \"text\")", Defaults.Model, "DIR");
    private readonly Option<int> samples = ToolsCommandLine.Int("--samples", "Prompts per configuration, one image each: captions of as many distinct test images", Defaults.Samples, min: 10);
    private readonly Option<string> backend = ToolsCommandLine.Parsed("--backend", "onnxruntime | torchsharp: which backend generates", t => EvalOptions.ParseBackend(t)!, Defaults.Backend, "B");
    private readonly Option<SamplerKind> sampler = ToolsCommandLine.Parsed("--sampler", "ddim | ddpm | dpm-solver++", t => EvalOptions.ParseSampler(t)!.Value, Defaults.Sampler, "S");
    private readonly Option<int> steps = ToolsCommandLine.Int("--steps", "Steps of that sampler", Defaults.Steps, min: 1);
    private readonly Option<string?> thresholds = ToolsCommandLine.Text("--thresholds", "Certainty thresholds swept, or auto (default): chosen on a probe of noised, captioned test images to save --auto-targets of the layers, plus the model's default", "auto", "a,b,...|auto");
    private readonly Option<float[]> autoTargets = ToolsCommandLine.Parsed("--auto-targets", "Fractions of layers saved that the automatic thresholds aim at", t => ToolsCommandLine.ParseNumbers("--auto-targets", t), [.. Defaults.AutoTargets], "a,b,...");
    private readonly Option<int> probeRows = ToolsCommandLine.Int("--probe-rows", "Noised test images in that probe", Defaults.ProbeRows, min: 1);
    private readonly Option<double?> threshold = ToolsCommandLine.NumberOrNull("--threshold", "Threshold of the grid and headline (default: chosen on the sweep by the class model's rule, prompt agreement in place of class accuracy)");
    private readonly Option<bool> writeDefault = ToolsCommandLine.Flag("--write-default", "Write the chosen threshold into the package's model.json (defaultThreshold, defaultMinLayers)");
    private readonly Option<int?> minLayers = ToolsCommandLine.IntOrNull("--min-layers", "Earliest exit layer (default: the model's)", min: 1);
    private readonly Option<double?> guidance = ToolsCommandLine.NumberOrNull("--guidance", "Classifier-free guidance scale (default: the model's defaultGuidanceScale)");
    private readonly Option<int> seed = ToolsCommandLine.Int("--seed", "Seed of the prompt draw, the captions and the images", 0, min: 0);
    private readonly Option<string?> gridPrompts = ToolsCommandLine.Text("--grid-prompts", "Hand-written prompts of the grid, separated by ';' (words of the model's vocabulary only; default: ten prompts naming classes, attributes or both)", helpName: "P;P;...");
    private readonly Option<int> gridSeeds = ToolsCommandLine.Int("--grid-seeds", "Seeds (columns) per grid prompt", Defaults.GridSeeds, min: 1);
    private readonly Option<string?> outDir = ToolsCommandLine.Text("--out", "Where results.json and the PNGs go", Defaults.Out, "DIR");
    private readonly Option<string?> markdown = ToolsCommandLine.Text("--markdown", "The markdown report (default OUT.md beside it: docs/results-text.md)", helpName: "PATH");
    private readonly Option<string?> classifier = ToolsCommandLine.Text("--classifier", "Classifier weights (default: shipped)", Defaults.ClassifierPath, "PATH");
    private readonly Option<string?> data = ToolsCommandLine.Text("--data", "Fashion-MNIST IDX folder", Defaults.DataDirectory, "DIR");
    private readonly Option<int> maxBatchRows = ToolsCommandLine.Int("--max-batch-rows", "Network rows per batch", Defaults.MaxBatchRows, min: 2);
    private readonly Option<int> threads = ToolsCommandLine.Int("--threads", "Backend threads (0: all processors)", Defaults.Threads, min: 0);
    private readonly Option<string?> weightsNote = ToolsCommandLine.Text("--weights-note", "What state the weights are in, for the report (default: from model.json)", helpName: "TEXT");

    /// <summary>Every option, to add to a command.</summary>
    public IEnumerable<Option> All =>
    [
        model, samples, backend, sampler, steps, thresholds, autoTargets, probeRows, threshold, writeDefault, minLayers, guidance, seed, gridPrompts, gridSeeds,
        outDir, markdown, classifier, data, maxBatchRows, threads, weightsNote,
    ];

    /// <summary>The options of a parse without errors, checked (<see cref="ArgumentException"/> naming the option otherwise).</summary>
    public TextEvalOptions Bind(ParseResult parse, string commandLine)
    {
        string? thresholdText = parse.GetValue(thresholds);
        string? grid = parse.GetValue(gridPrompts);
        var options = new TextEvalOptions
        {
            Model = parse.GetValue(model)!,
            Samples = parse.GetValue(samples),
            Backend = parse.GetValue(backend)!,
            Sampler = parse.GetValue(sampler),
            Steps = parse.GetValue(steps),
            Thresholds = thresholdText is null or "auto" ? null : ToolsCommandLine.ParseNumbers("--thresholds", thresholdText),
            AutoTargets = parse.GetValue(autoTargets)!,
            ProbeRows = parse.GetValue(probeRows),
            Threshold = (float?)parse.GetValue(threshold),
            WriteDefault = parse.GetValue(writeDefault),
            MinLayers = parse.GetValue(minLayers),
            Guidance = (float?)parse.GetValue(guidance),
            Seed = (ulong)parse.GetValue(seed),
            GridPrompts = grid is null ? null : grid.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            GridSeeds = parse.GetValue(gridSeeds),
            Out = parse.GetValue(outDir)!,
            Markdown = parse.GetValue(markdown),
            ClassifierPath = parse.GetValue(classifier) ?? ClassifierModel.DefaultPath,
            DataDirectory = parse.GetValue(data)!,
            MaxBatchRows = parse.GetValue(maxBatchRows),
            Threads = parse.GetValue(threads),
            WeightsNote = parse.GetValue(weightsNote),
            CommandLine = commandLine,
        };
        Check(options);
        return options;
    }

    private static void Check(TextEvalOptions options)
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
        if (options.GridPrompts is { Count: 0 })
        {
            throw new ArgumentException("--grid-prompts: no prompt given (separate prompts with ';')");
        }
        if (options.GridSeeds * 2 > options.MaxBatchRows)
        {
            throw new ArgumentException($"--grid-seeds {options.GridSeeds} needs {options.GridSeeds * 2} rows a guided prompt, more than --max-batch-rows {options.MaxBatchRows}");
        }
    }
}
