using System.CommandLine;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Tools;

/// <summary><c>prune</c>: structured magnitude pruning of a package, then a short fine-tune (see <see cref="Pruner"/>).</summary>
internal static class PruneCommand
{
    /// <param name="commandText">The command line as run, for the package's training record.</param>
    public static Command Create(string commandText)
    {
        var defaults = new PruneOptions();
        var shared = new PackageTuningOptions("Trained class-conditional package to prune (e.g. models/fashion-mnist-uvit)", "Fine-tuning steps with the AdaDiff loss after pruning (0: prune only)", PruneOptions.Defaults, minSteps: 0);
        var keepHeads = ToolsCommandLine.Int("--keep-heads", "Attention heads each layer keeps (at most the model's heads)", defaults.KeepHeads, min: 1);
        var keepMlp = ToolsCommandLine.Number("--keep-mlp", "Share of each layer's MLP channels kept, in (0, 1]", defaults.KeepMlp);
        keepMlp.Validators.Add(r =>
        {
            double value = r.GetValueOrDefault<double>();
            if (!(value > 0 && value <= 1))
            {
                r.AddError("--keep-mlp: must be in (0, 1]");
            }
        });
        var command = new Command("prune", "Prune whole attention heads and MLP channels of a package by magnitude, fine-tune briefly with the layer-wise loss, and write a smaller package")
        {
            keepHeads, keepMlp,
        };
        foreach (Option option in shared.All)
        {
            command.Options.Add(option);
        }
        command.SetAction((parse, cancellationToken) =>
        {
            var options = new PruneOptions(shared.Bind(parse, commandText)) { KeepHeads = parse.GetValue(keepHeads), KeepMlp = parse.GetValue(keepMlp) };
            using var pruner = new Pruner(options);
            return Task.FromResult(pruner.Run(Console.Error, cancellationToken));
        });
        return command;
    }
}
