using System.CommandLine;
using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Tools;

/// <summary><c>train-uem</c>: retrains the UEMs of a package on its frozen backbone (see <see cref="UemTuner"/>).</summary>
internal static class TrainUemCommand
{
    /// <param name="commandText">The command line as run, for the package's training record.</param>
    public static Command Create(string commandText)
    {
        var defaults = new UemTuneOptions { From = "", PackageDir = "", Command = "" };
        var from = ToolsCommandLine.RequiredText("--from", "Trained package whose backbone is kept (e.g. models/fashion-mnist-uvit)", "DIR");
        var package = ToolsCommandLine.RequiredText("--package", "Package to write (another folder than --from)", "DIR");
        var target = ToolsCommandLine.Parsed("--target", "What the UEMs learn to predict: final (1 − tanh|ε̂_i − ε̂_L|, the default) or noise (1 − tanh|ε̂_i − ε|, the paper's)", ParseTarget, defaults.Target, "final|noise");
        var steps = ToolsCommandLine.Int("--steps", "Optimisation steps", defaults.Steps, min: 1);
        var batch = ToolsCommandLine.Int("--batch", "Images per step", defaults.Batch, min: 1);
        var lr = ToolsCommandLine.Number("--lr", "Learning rate after the warm-up (positive)", defaults.LearningRate);
        var warmup = ToolsCommandLine.Int("--warmup", "Steps of linear learning-rate warm-up", defaults.WarmupSteps, min: 0);
        var seed = ToolsCommandLine.Int("--seed", "Seed of the batches and the noise", defaults.Seed, min: 0);
        var threads = ToolsCommandLine.Int("--threads", "libtorch threads (the default is this machine's processor count)", defaults.Threads, min: 1);
        var logEvery = ToolsCommandLine.Int("--log-every", "Steps between progress lines", defaults.LogEvery, min: 1);
        var data = ToolsCommandLine.Text("--data", "Fashion-MNIST IDX folder", FashionMnist.DefaultDirectory, "DIR");
        lr.Validators.Add(r =>
        {
            if (!(r.GetValueOrDefault<double>() > 0))
            {
                r.AddError("--lr: must be positive");
            }
        });
        var command = new Command("train-uem", "Retrain a package's uncertainty heads (UEMs) on its frozen backbone into a new package")
        {
            from, package, target, steps, batch, lr, warmup, seed, threads, logEvery, data,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var options = new UemTuneOptions
            {
                From = parse.GetRequiredValue(from),
                PackageDir = parse.GetRequiredValue(package),
                Target = parse.GetValue(target),
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
            if (Path.GetFullPath(options.From) == Path.GetFullPath(options.PackageDir))
            {
                throw new ArgumentException("--package must be another folder than --from (the source package is kept as it is)");
            }
            using var tuner = new UemTuner(options);
            return Task.FromResult(tuner.Run(Console.Error, cancellationToken));
        });
        return command;
    }

    private static UemTargetKind ParseTarget(string text) => text switch
    {
        "final" => UemTargetKind.Final,
        "noise" => UemTargetKind.Noise,
        _ => throw new ArgumentException($"--target: '{text}' is not final or noise"),
    };
}
