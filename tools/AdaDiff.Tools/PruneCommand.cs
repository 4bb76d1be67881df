using System.CommandLine;
using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Tools;

/// <summary><c>prune</c>: structured magnitude pruning of a package, then a short fine-tune (see <see cref="Pruner"/>).</summary>
internal static class PruneCommand
{
    /// <param name="commandText">The command line as run, for the package's training record.</param>
    public static Command Create(string commandText)
    {
        var defaults = new PruneOptions { From = "", PackageDir = "", Command = "" };
        var from = ToolsCommandLine.RequiredText("--from", "Trained class-conditional package to prune (e.g. models/fashion-mnist-uvit)", "DIR");
        var package = ToolsCommandLine.RequiredText("--package", "Package to write (another folder than --from)", "DIR");
        var keepHeads = ToolsCommandLine.Int("--keep-heads", "Attention heads each layer keeps (at most the model's heads)", defaults.KeepHeads, min: 1);
        var keepMlp = ToolsCommandLine.Number("--keep-mlp", "Share of each layer's MLP channels kept, in (0, 1]", defaults.KeepMlp);
        var steps = ToolsCommandLine.Int("--steps", "Fine-tuning steps with the AdaDiff loss after pruning (0: prune only)", defaults.Steps, min: 0);
        var batch = ToolsCommandLine.Int("--batch", "Images per fine-tuning step", defaults.Batch, min: 1);
        var lr = ToolsCommandLine.Number("--lr", "Fine-tuning learning rate after the warm-up (positive)", defaults.LearningRate);
        var warmup = ToolsCommandLine.Int("--warmup", "Steps of linear learning-rate warm-up", defaults.WarmupSteps, min: 0);
        var seed = ToolsCommandLine.Int("--seed", "Seed of the batches and the noise", defaults.Seed, min: 0);
        var threads = ToolsCommandLine.Int("--threads", "libtorch threads (the default is this machine's processor count)", defaults.Threads, min: 1);
        var logEvery = ToolsCommandLine.Int("--log-every", "Steps between progress lines", defaults.LogEvery, min: 1);
        var data = ToolsCommandLine.Text("--data", "Fashion-MNIST IDX folder", FashionMnist.DefaultDirectory, "DIR");
        foreach (Option<double> positive in new[] { lr, keepMlp })
        {
            positive.Validators.Add(r =>
            {
                double value = r.GetValueOrDefault<double>();
                if (!(value > 0) || (positive == keepMlp && value > 1))
                {
                    r.AddError(positive == keepMlp ? "--keep-mlp: must be in (0, 1]" : "--lr: must be positive");
                }
            });
        }
        var command = new Command("prune", "Prune whole attention heads and MLP channels of a package by magnitude, fine-tune briefly with the layer-wise loss, and write a smaller package")
        {
            from, package, keepHeads, keepMlp, steps, batch, lr, warmup, seed, threads, logEvery, data,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var options = new PruneOptions
            {
                From = parse.GetRequiredValue(from),
                PackageDir = parse.GetRequiredValue(package),
                KeepHeads = parse.GetValue(keepHeads),
                KeepMlp = parse.GetValue(keepMlp),
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
            using var pruner = new Pruner(options);
            return Task.FromResult(pruner.Run(Console.Error, cancellationToken));
        });
        return command;
    }
}
