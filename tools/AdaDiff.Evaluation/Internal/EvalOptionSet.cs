using System.CommandLine;
using AdaDiff.Engine;
using AdaDiff.Evaluation.Classifier;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Evaluation.Internal;

/// <summary>The options of <c>adadiff-tools eval</c> on System.CommandLine, and their binding to <see cref="EvalOptions"/>.</summary>
internal sealed class EvalOptionSet
{
    private static readonly EvalOptions Defaults = new();

    private readonly Option<string?> model = ToolsCommandLine.Text("--model", "Model package", Defaults.Model, "DIR");
    private readonly Option<int> samples = ToolsCommandLine.Int("--samples", "Class-conditional images per configuration of the sweep and the comparisons, balanced over classes", Defaults.Samples, min: 10);
    private readonly Option<int> targetSamples = ToolsCommandLine.Int("--target-samples", "Images of the two runs the targets are judged on: full depth and the chosen threshold (0 judges them on the sweep's runs)", Defaults.TargetSamples, min: 0);
    private readonly Option<string> backend = ToolsCommandLine.Parsed("--backend", "onnxruntime (the faster on CPU) | torchsharp: which backend generates", t => EvalOptions.ParseBackend(t)!, Defaults.Backend, "B");
    private readonly Option<SamplerKind> sampler = ToolsCommandLine.Parsed("--sampler", "ddim | ddpm | dpm-solver++", t => EvalOptions.ParseSampler(t)!.Value, Defaults.Sampler, "S");
    private readonly Option<int> steps = ToolsCommandLine.Int("--steps", "Steps of that sampler", Defaults.Steps, min: 1);
    private readonly Option<string?> thresholds = ToolsCommandLine.Text("--thresholds", "Certainty thresholds swept for the Pareto curve, or auto (default): chosen on a probe of noised test images to save --auto-targets of the layers, plus the model's default threshold", "auto", "a,b,...|auto");
    private readonly Option<float[]> autoTargets = ToolsCommandLine.Parsed("--auto-targets", "Fractions of layers saved that the automatic thresholds aim at", t => ToolsCommandLine.ParseNumbers("--auto-targets", t), [.. Defaults.AutoTargets], "a,b,...");
    private readonly Option<int> probeRows = ToolsCommandLine.Int("--probe-rows", "Noised test images in that probe", Defaults.ProbeRows, min: 1);
    private readonly Option<double?> threshold = ToolsCommandLine.NumberOrNull("--threshold", "Threshold of the targets, pictures and sampler comparison (default: chosen on the sweep: fewest layers with FID-proxy ≤ 1.05× full and class accuracy within 2 points of full)");
    private readonly Option<bool> writeDefault = ToolsCommandLine.Flag("--write-default", "Write the chosen threshold into the package's model.json (defaultThreshold)");
    private readonly Option<int?> minLayers = ToolsCommandLine.IntOrNull("--min-layers", "Earliest exit layer (default: the model's)", min: 1);
    private readonly Option<double?> guidance = ToolsCommandLine.NumberOrNull("--guidance", "Classifier-free guidance scale of the class-conditional runs (default: the model's defaultGuidanceScale, what clients get; 1: the conditional prediction alone)");
    private readonly Option<int> seed = ToolsCommandLine.Int("--seed", "Base seed; the same seeds in every configuration", 0, min: 0);
    private readonly Option<string?> outDir = ToolsCommandLine.Text("--out", "Where results.json and the PNGs go", Defaults.Out, "DIR");
    private readonly Option<string?> markdown = ToolsCommandLine.Text("--markdown", "The markdown report (default OUT.md beside it: docs/results.md)", helpName: "PATH");
    private readonly Option<string?> classifier = ToolsCommandLine.Text("--classifier", "Classifier weights; trained and saved there when missing (default: shipped)", Defaults.ClassifierPath, "PATH");
    private readonly Option<string?> data = ToolsCommandLine.Text("--data", "Fashion-MNIST IDX folder", Defaults.DataDirectory, "DIR");
    private readonly Option<string?> baselineModel = ToolsCommandLine.Text("--baseline-model", "A second package swept the same way (e.g. exit heads on a frozen backbone without the layer-wise loss)", helpName: "DIR");
    private readonly Option<string?> baselineLabel = ToolsCommandLine.Text("--baseline-label", "Name of the baseline package in tables and plots", Defaults.BaselineLabel, "TEXT");
    private readonly Option<bool> noStatic = ToolsCommandLine.Flag("--no-static", "Skip static truncation (FIXED_DEPTH)");
    private readonly Option<bool> noSchedule = ToolsCommandLine.Flag("--no-schedule", "Skip the timestep schedule (each step at the depth the per-sample exits took there on average at the chosen threshold)");
    private readonly Option<bool> noPerBatch = ToolsCommandLine.Flag("--no-per-batch", "Skip the per-batch exit decision");
    private readonly Option<bool> noSteps = ToolsCommandLine.Flag("--no-steps", "Skip the sampler comparison (DDPM, DDIM, DPM-Solver++ with and without exits)");
    private readonly Option<int?> ddpmSamples = ToolsCommandLine.IntOrNull("--ddpm-samples", "Images of the DDPM comparison (default samples/10, at least 10)", min: 1);
    private readonly Option<int> ddpmSteps = ToolsCommandLine.Int("--ddpm-steps", "Steps of the DDPM comparison", Defaults.DdpmSteps, min: 1);
    private readonly Option<int> ddimSteps = ToolsCommandLine.Int("--ddim-steps", "Steps of the DDIM comparison", Defaults.DdimSteps, min: 1);
    private readonly Option<int> dpmSteps = ToolsCommandLine.Int("--dpm-steps", "Steps of the DPM-Solver++ comparison", Defaults.DpmSolverSteps, min: 1);
    private readonly Option<int> unconditional = ToolsCommandLine.Int("--unconditional", "Unconditional images for the unconditional grid (0 skips)", Defaults.UnconditionalSamples, min: 0);
    private readonly Option<int> jobImages = ToolsCommandLine.Int("--job-images", "Images per generation job; the per-batch rule decides over a job", Defaults.JobImages, min: 1);
    private readonly Option<int> maxBatchRows = ToolsCommandLine.Int("--max-batch-rows", "Network rows per batch", Defaults.MaxBatchRows, min: 1);
    private readonly Option<int> threads = ToolsCommandLine.Int("--threads", "Backend threads (0: all processors)", Defaults.Threads, min: 0);
    private readonly Option<string?> weightsNote = ToolsCommandLine.Text("--weights-note", "What state the weights are in, for the report (default: from model.json)", helpName: "TEXT");

    /// <summary>Every option, to add to a command.</summary>
    public IEnumerable<Option> All =>
    [
        model, samples, targetSamples, backend, sampler, steps, thresholds, autoTargets, probeRows, threshold, writeDefault, minLayers, guidance,
        seed, outDir, markdown, classifier, data, baselineModel, baselineLabel, noStatic, noSchedule, noPerBatch, noSteps, ddpmSamples, ddpmSteps,
        ddimSteps, dpmSteps, unconditional, jobImages, maxBatchRows, threads, weightsNote,
    ];

    /// <summary>A command with every option, for parsing eval's options alone.</summary>
    public Command Command()
    {
        var command = new Command("eval");
        foreach (Option option in All)
        {
            command.Options.Add(option);
        }
        return command;
    }

    /// <summary>The options of a parse without errors, checked against each other (<see cref="ArgumentException"/> otherwise).</summary>
    public EvalOptions Bind(ParseResult parse, string commandLine)
    {
        var options = new EvalOptions
        {
            Model = parse.GetValue(model)!,
            BaselineModel = parse.GetValue(baselineModel),
            BaselineLabel = parse.GetValue(baselineLabel)!,
            Samples = parse.GetValue(samples),
            TargetSamples = parse.GetValue(targetSamples),
            WriteDefault = parse.GetValue(writeDefault),
            Backend = parse.GetValue(backend)!,
            Sampler = parse.GetValue(sampler),
            Steps = parse.GetValue(steps),
            Thresholds = Thresholds(parse.GetValue(thresholds)),
            AutoTargets = parse.GetValue(autoTargets)!,
            ProbeRows = parse.GetValue(probeRows),
            Threshold = (float?)parse.GetValue(threshold),
            MinLayers = parse.GetValue(minLayers),
            Guidance = (float?)parse.GetValue(guidance),
            Seed = (ulong)parse.GetValue(seed),
            Out = parse.GetValue(outDir)!,
            Markdown = parse.GetValue(markdown),
            ClassifierPath = parse.GetValue(classifier) ?? ClassifierModel.DefaultPath,
            DataDirectory = parse.GetValue(data)!,
            StaticTruncation = !parse.GetValue(noStatic),
            TimestepSchedule = !parse.GetValue(noSchedule),
            PerBatch = !parse.GetValue(noPerBatch),
            StepComparison = !parse.GetValue(noSteps),
            DdpmSamples = parse.GetValue(ddpmSamples),
            DdpmSteps = parse.GetValue(ddpmSteps),
            DdimSteps = parse.GetValue(ddimSteps),
            DpmSolverSteps = parse.GetValue(dpmSteps),
            UnconditionalSamples = parse.GetValue(unconditional),
            JobImages = parse.GetValue(jobImages),
            MaxBatchRows = parse.GetValue(maxBatchRows),
            Threads = parse.GetValue(threads),
            WeightsNote = parse.GetValue(weightsNote),
            CommandLine = commandLine,
        };
        Check(options);
        return options;
    }

    /// <summary>null for <c>auto</c> (chosen on the probe), else the list given.</summary>
    private static float[]? Thresholds(string? text) => text is null or "auto" ? null : ToolsCommandLine.ParseNumbers("--thresholds", text);

    private static void Check(EvalOptions options)
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
        if (options.TargetSamples is > 0 and < 10)
        {
            throw new ArgumentException("--target-samples: must be 0 (judge on the sweep) or at least 10");
        }
        if (options.Threshold is float x && !(x > 0f && x <= 1f))
        {
            throw new ArgumentException($"--threshold: {x} is not in (0, 1]");
        }
        if (options.Guidance < 0f)
        {
            throw new ArgumentException("--guidance: must be ≥ 0");
        }
        int rowsPerImage = options.Guidance is 1f ? 1 : 2; // the model's default may guide
        if (options.JobImages * rowsPerImage > options.MaxBatchRows)
        {
            throw new ArgumentException($"--job-images {options.JobImages} needs {options.JobImages * rowsPerImage} rows, more than --max-batch-rows {options.MaxBatchRows}");
        }
    }
}
