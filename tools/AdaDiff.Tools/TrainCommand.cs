using AdaDiff.Tools.Shared;

namespace AdaDiff.Tools;

/// <summary><c>train</c>: trains the Fashion-MNIST model (see <see cref="Trainer"/>).</summary>
internal static class TrainCommand
{
    public const string Usage = "train --out <dir> [--package models/fashion-mnist-uvit] [--resume] [--epochs 25] [--batch 128] [--lr 2e-4] [--warmup 500] [--weight-decay 0.03] [--ema 0.999] [--hflip] [--no-layerwise] [--seed 0] [--threads N] [--dim 128 --depth 13 --heads 4] [--checkpoint-minutes 10] [--log-every 50] [--max-steps N] [--data /usr/share/datasets/fashion-mnist]";

    public static int Run(string[] args)
    {
        var line = new CommandLine(args[1..], new HashSet<string> { "resume", "hflip", "no-layerwise" });
        var options = new TrainOptions
        {
            OutDir = line.Required("out"),
            PackageDir = line.String("package"),
            DataDir = line.String("data") ?? AdaDiff.Backends.TorchSharp.Training.FashionMnist.DefaultDirectory,
            Resume = line.Flag("resume"),
            Epochs = line.Int("epochs", 25),
            Batch = line.Int("batch", 128),
            LearningRate = line.Double("lr", 2e-4),
            WarmupSteps = line.Int("warmup", 500),
            WeightDecay = line.Double("weight-decay", 0.03),
            EmaDecay = line.Double("ema", 0.999),
            HorizontalFlip = line.Flag("hflip"),
            LayerwiseLoss = !line.Flag("no-layerwise"),
            Seed = line.Int("seed", 0),
            Threads = line.Int("threads", Environment.ProcessorCount),
            Dim = line.Int("dim", 128),
            Depth = line.Int("depth", 13),
            Heads = line.Int("heads", 4),
            CheckpointMinutes = line.Double("checkpoint-minutes", 10),
            LogEvery = line.Int("log-every", 50),
            MaxSteps = line.Int("max-steps", 0),
            Command = FashionMnistModel.CommandText(args),
        };
        line.RejectUnknown();
        if (options.Epochs < 1 || options.Batch < 1 || options.Threads < 1 || options.LogEvery < 1)
        {
            throw new ArgumentException("--epochs, --batch, --threads and --log-every must be positive");
        }
        // SIGTERM (kill, a scheduler's stop) and Ctrl+C end training at the next step boundary with a checkpoint.
        using var stop = new StopSignal();
        using var trainer = new Trainer(options);
        return trainer.Run(stop.Token);
    }
}
