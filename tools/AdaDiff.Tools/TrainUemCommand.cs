using AdaDiff.Tools.Shared;

namespace AdaDiff.Tools;

/// <summary><c>train-uem</c>: retrains the UEMs of a package on its frozen backbone (see <see cref="UemTuner"/>).</summary>
internal static class TrainUemCommand
{
    public const string Usage = "train-uem --from models/fashion-mnist-uvit --package <dir> [--target final|noise] [--steps 1500] [--batch 128] [--lr 1e-3] [--warmup 100] [--seed 0] [--threads N] [--log-every 50] [--data /usr/share/datasets/fashion-mnist]";

    public static int Run(string[] args)
    {
        var line = new CommandLine(args[1..], new HashSet<string>());
        var options = new UemTuneOptions
        {
            From = line.Required("from"),
            PackageDir = line.Required("package"),
            Target = line.String("target") switch
            {
                null or "final" => UemTargetKind.Final,
                "noise" => UemTargetKind.Noise,
                string other => throw new ArgumentException($"--target: '{other}' is not final or noise"),
            },
            Steps = line.Int("steps", 1500, min: 1),
            Batch = line.Int("batch", 128, min: 1),
            LearningRate = line.Double("lr", 1e-3),
            WarmupSteps = line.Int("warmup", 100, min: 0),
            Seed = line.Int("seed", 0, min: 0),
            Threads = line.Int("threads", Environment.ProcessorCount, min: 1),
            LogEvery = line.Int("log-every", 50, min: 1),
            DataDir = line.String("data") ?? AdaDiff.Backends.TorchSharp.Training.FashionMnist.DefaultDirectory,
            Command = FashionMnistModel.CommandText(args),
        };
        line.RejectUnknown();
        if (!(options.LearningRate > 0))
        {
            throw new ArgumentException("--lr: must be positive");
        }
        if (Path.GetFullPath(options.From) == Path.GetFullPath(options.PackageDir))
        {
            throw new ArgumentException("--package must be another folder than --from (the source package is kept as it is)");
        }
        using var stop = new StopSignal();
        using var tuner = new UemTuner(options);
        return tuner.Run(Console.Error, stop.Token);
    }
}
