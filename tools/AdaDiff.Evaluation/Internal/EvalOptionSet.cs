using System.CommandLine;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Evaluation.Internal;

/// <summary>The options of <c>adadiff-tools eval</c> on System.CommandLine, and their binding to <see cref="EvalOptions"/>.</summary>
internal sealed class EvalOptionSet
{
    private static readonly EvalOptions Defaults = new();

    private readonly SharedEvalOptionSet shared = new(Defaults);
    private readonly Option<int> targetSamples = ToolsCommandLine.Int("--target-samples", "Images of the two runs the targets are judged on: full depth and the chosen threshold (0 judges them on the sweep's runs)", Defaults.TargetSamples, min: 0);
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

    /// <summary>Every option, to add to a command.</summary>
    public IEnumerable<Option> All =>
    [
        shared.Model, shared.Samples, targetSamples, shared.Backend, shared.Sampler, shared.Steps, shared.Thresholds, shared.AutoTargets, shared.ProbeRows,
        shared.Threshold, shared.WriteDefault, shared.MinLayers, shared.Guidance, shared.Seed, shared.Out, shared.Markdown, shared.Classifier, shared.Data,
        baselineModel, baselineLabel, noStatic, noSchedule, noPerBatch, noSteps, ddpmSamples, ddpmSteps, ddimSteps, dpmSteps, unconditional, jobImages,
        shared.MaxBatchRows, shared.Threads, shared.WeightsNote,
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
        EvalOptions options = shared.Bind(parse, new EvalOptions
        {
            BaselineModel = parse.GetValue(baselineModel),
            BaselineLabel = parse.GetValue(baselineLabel)!,
            TargetSamples = parse.GetValue(targetSamples),
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
            CommandLine = commandLine,
        });
        Check(options);
        return options;
    }

    private static void Check(EvalOptions options)
    {
        if (options.TargetSamples is > 0 and < 10)
        {
            throw new ArgumentException("--target-samples: must be 0 (judge on the sweep) or at least 10");
        }
        int rowsPerImage = options.Guidance is 1f ? 1 : 2; // the model's default may guide
        if (options.JobImages * rowsPerImage > options.MaxBatchRows)
        {
            throw new ArgumentException($"--job-images {options.JobImages} needs {options.JobImages * rowsPerImage} rows, more than --max-batch-rows {options.MaxBatchRows}");
        }
    }
}
