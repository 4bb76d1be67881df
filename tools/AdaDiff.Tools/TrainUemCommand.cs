using System.CommandLine;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Tools;

/// <summary><c>train-uem</c>: retrains the UEMs of a package on its frozen backbone (see <see cref="UemTuner"/>).</summary>
internal static class TrainUemCommand
{
    /// <param name="commandText">The command line as run, for the package's training record.</param>
    public static Command Create(string commandText)
    {
        var shared = new PackageTuningOptions("Trained package whose backbone is kept (e.g. models/fashion-mnist-uvit)", "Optimisation steps", UemTuneOptions.Defaults, minSteps: 1);
        var target = ToolsCommandLine.Parsed("--target", "What the UEMs learn to predict: final (1 − tanh|ε̂_i − ε̂_L|, the default) or noise (1 − tanh|ε̂_i − ε|, the paper's)", ParseTarget, UemTargetKind.Final, "final|noise");
        var command = new Command("train-uem", "Retrain a package's uncertainty heads (UEMs) on its frozen backbone into a new package") { target };
        foreach (Option option in shared.All)
        {
            command.Options.Add(option);
        }
        command.SetAction((parse, cancellationToken) =>
        {
            var options = new UemTuneOptions(shared.Bind(parse, commandText)) { Target = parse.GetValue(target) };
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
