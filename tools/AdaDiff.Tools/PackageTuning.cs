using System.CommandLine;
using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Tools;

/// <summary>
/// What every command that retrains a trained package into a new one shares (<c>train-uem</c>, <c>prune</c>): the
/// source and target packages, the optimisation steps and their batches, learning rate, seed, threads and progress.
/// </summary>
internal record PackageTuning
{
    public string From { get; init; } = "";
    public string PackageDir { get; init; } = "";
    public string DataDir { get; init; } = FashionMnist.DefaultDirectory;
    public int Steps { get; init; }
    public int Batch { get; init; } = 128;
    public double LearningRate { get; init; }
    public int WarmupSteps { get; init; }
    public double LabelDropout { get; init; } = 0.1;
    public int Seed { get; init; }
    public int Threads { get; init; } = Environment.ProcessorCount;
    public int LogEvery { get; init; } = 50;
    public string Command { get; init; } = "";
}

/// <summary>The command-line options of <see cref="PackageTuning"/>, with a command's own defaults.</summary>
internal sealed class PackageTuningOptions
{
    private readonly Option<string> from;
    private readonly Option<string> package;
    private readonly Option<int> steps;
    private readonly Option<int> batch;
    private readonly Option<double> lr;
    private readonly Option<int> warmup;
    private readonly Option<int> seed;
    private readonly Option<int> threads;
    private readonly Option<int> logEvery;
    private readonly Option<string?> data;

    /// <param name="fromDescription">What --from is to this command.</param>
    /// <param name="stepsDescription">What --steps counts.</param>
    /// <param name="defaults">The command's defaults (steps, batch, learning rate, warm-up, ...).</param>
    /// <param name="minSteps">The fewest steps the command accepts.</param>
    public PackageTuningOptions(string fromDescription, string stepsDescription, PackageTuning defaults, int minSteps)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        from = ToolsCommandLine.RequiredText("--from", fromDescription, "DIR");
        package = ToolsCommandLine.RequiredText("--package", "Package to write (another folder than --from)", "DIR");
        steps = ToolsCommandLine.Int("--steps", stepsDescription, defaults.Steps, min: minSteps);
        batch = ToolsCommandLine.Int("--batch", "Images per step", defaults.Batch, min: 1);
        lr = ToolsCommandLine.Number("--lr", "Learning rate after the warm-up (positive)", defaults.LearningRate);
        warmup = ToolsCommandLine.Int("--warmup", "Steps of linear learning-rate warm-up", defaults.WarmupSteps, min: 0);
        seed = ToolsCommandLine.Int("--seed", "Seed of the batches and the noise", defaults.Seed, min: 0);
        threads = ToolsCommandLine.Int("--threads", "libtorch threads (the default is this machine's processor count)", defaults.Threads, min: 1);
        logEvery = ToolsCommandLine.Int("--log-every", "Steps between progress lines", defaults.LogEvery, min: 1);
        data = ToolsCommandLine.Text("--data", "Fashion-MNIST IDX folder", FashionMnist.DefaultDirectory, "DIR");
        lr.Validators.Add(r =>
        {
            if (!(r.GetValueOrDefault<double>() > 0))
            {
                r.AddError("--lr: must be positive");
            }
        });
    }

    /// <summary>The options, to add to a command.</summary>
    public IEnumerable<Option> All => [from, package, steps, batch, lr, warmup, seed, threads, logEvery, data];

    /// <summary>The parsed values; refuses a --package that is the --from folder (the source is kept as it is).</summary>
    public PackageTuning Bind(ParseResult parse, string commandText)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var tuning = new PackageTuning
        {
            From = parse.GetRequiredValue(from),
            PackageDir = parse.GetRequiredValue(package),
            Steps = parse.GetValue(steps),
            Batch = parse.GetValue(batch),
            LearningRate = parse.GetValue(lr),
            WarmupSteps = parse.GetValue(warmup),
            Seed = parse.GetValue(seed),
            Threads = parse.GetValue(threads),
            LogEvery = parse.GetValue(logEvery),
            DataDir = parse.GetValue(data)!,
            Command = commandText,
        };
        if (Path.GetFullPath(tuning.From) == Path.GetFullPath(tuning.PackageDir))
        {
            throw new ArgumentException("--package must be another folder than --from (the source package is kept as it is)");
        }
        return tuning;
    }
}
