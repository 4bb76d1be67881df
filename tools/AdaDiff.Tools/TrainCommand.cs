using System.CommandLine;
using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Tools;

/// <summary><c>train</c>: trains the Fashion-MNIST model (see <see cref="Trainer"/>).</summary>
internal static class TrainCommand
{
    /// <param name="commandText">The command line as run, for the checkpoint's and the package's training record.</param>
    public static Command Create(string commandText)
    {
        var d = new TrainOptions { OutDir = "", Command = "" };
        var outDir = ToolsCommandLine.RequiredText("--out", "Run folder: train.log and checkpoint/ (what --resume continues from)", "DIR");
        var package = ToolsCommandLine.Text("--package", "Package folder the EMA weights are written to at every checkpoint (e.g. models/fashion-mnist-uvit)", helpName: "DIR");
        var resume = ToolsCommandLine.Flag("--resume", "Continue from OUT/checkpoint (same --seed and --batch)");
        var initFrom = ToolsCommandLine.Text("--init-from", "Start a new run in OUT from a package's weights (model and EMA) and step count, with a fresh AdamW warmed up again: for a run whose checkpoint is lost, or to train a package further (same --text, --seed and --batch as its training record)", helpName: "DIR");
        var epochs = ToolsCommandLine.Int("--epochs", "Epochs to train in all (a resumed run may raise it)", d.Epochs, min: 1);
        var batch = ToolsCommandLine.Int("--batch", "Images per step", d.Batch, min: 1);
        var lr = ToolsCommandLine.Number("--lr", "AdamW learning rate after the warm-up", d.LearningRate);
        var warmup = ToolsCommandLine.Int("--warmup", "Steps of linear learning-rate warm-up", d.WarmupSteps);
        var weightDecay = ToolsCommandLine.Number("--weight-decay", "AdamW weight decay", d.WeightDecay);
        var ema = ToolsCommandLine.Number("--ema", "Decay of the weights' exponential moving average (the packaged weights)", d.EmaDecay);
        var hflip = ToolsCommandLine.Flag("--hflip", "Flip half the training images left to right");
        var noLayerwise = ToolsCommandLine.Flag("--no-layerwise", "Ablation baseline: train the backbone on the final loss alone (no uncertainty-aware layer-wise loss)");
        var seed = ToolsCommandLine.Int("--seed", "Seed of the weights, the shuffle and the noise", d.Seed);
        var threads = ToolsCommandLine.Int("--threads", "libtorch threads (the default is this machine's processor count)", d.Threads, min: 1);
        var dim = ToolsCommandLine.Int("--dim", "Width D of a new model", d.Dim);
        var depth = ToolsCommandLine.Int("--depth", "Layers of a new model", d.Depth);
        var heads = ToolsCommandLine.Int("--heads", "Attention heads of a new model", d.Heads);
        var text = ToolsCommandLine.Flag("--text", "Train the text-conditioned model on captions of each image's class and measured attributes, drawn afresh each epoch (a new run; --resume reads it from the checkpoint)");
        var textDim = ToolsCommandLine.Int("--text-dim", "Width of a new text model's encoder (with --text)", d.TextDim, min: 1);
        var textDepth = ToolsCommandLine.Int("--text-depth", "Transformer blocks of a new text model's encoder (with --text)", d.TextDepth, min: 0);
        var textHeads = ToolsCommandLine.Int("--text-heads", "Attention heads of a new text model's encoder (with --text)", d.TextHeads, min: 1);
        var dropout = ToolsCommandLine.Number("--cfg-dropout", "Share of rows trained unconditioned for classifier-free guidance: the null class, or with --text the all-padding prompt", d.LabelDropout);
        var checkpointMinutes = ToolsCommandLine.Number("--checkpoint-minutes", "Minutes between checkpoints (and packages)", d.CheckpointMinutes);
        var logEvery = ToolsCommandLine.Int("--log-every", "Steps between lines of train.log", d.LogEvery, min: 1);
        var maxSteps = ToolsCommandLine.Int("--max-steps", "Stop after this many steps of this run (0: no limit)", d.MaxSteps);
        var data = ToolsCommandLine.Text("--data", "Fashion-MNIST IDX folder", FashionMnist.DefaultDirectory, "DIR");
        var command = new Command("train", "Train the Fashion-MNIST U-ViT (class- or, with --text, text-conditioned) with the AdaDiff loss; SIGTERM or Ctrl+C ends it at a step with a checkpoint")
        {
            outDir, package, resume, initFrom, epochs, batch, lr, warmup, weightDecay, ema, hflip, noLayerwise, seed, threads, dim, depth, heads, text, textDim, textDepth, textHeads, dropout, checkpointMinutes, logEvery, maxSteps, data,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var options = new TrainOptions
            {
                OutDir = parse.GetRequiredValue(outDir),
                PackageDir = parse.GetValue(package),
                DataDir = parse.GetValue(data)!,
                Resume = parse.GetValue(resume),
                InitFrom = parse.GetValue(initFrom),
                Epochs = parse.GetValue(epochs),
                Batch = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                WarmupSteps = parse.GetValue(warmup),
                WeightDecay = parse.GetValue(weightDecay),
                EmaDecay = parse.GetValue(ema),
                HorizontalFlip = parse.GetValue(hflip),
                LayerwiseLoss = !parse.GetValue(noLayerwise),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                Dim = parse.GetValue(dim),
                Depth = parse.GetValue(depth),
                Heads = parse.GetValue(heads),
                Text = parse.GetValue(text),
                TextDim = parse.GetValue(textDim),
                TextDepth = parse.GetValue(textDepth),
                TextHeads = parse.GetValue(textHeads),
                LabelDropout = parse.GetValue(dropout),
                CheckpointMinutes = parse.GetValue(checkpointMinutes),
                LogEvery = parse.GetValue(logEvery),
                MaxSteps = parse.GetValue(maxSteps),
                Command = commandText,
            };
            // SIGTERM (kill, a scheduler's stop) and Ctrl+C cancel the token: training ends at the next step boundary with a checkpoint.
            using var trainer = new Trainer(options);
            return Task.FromResult(trainer.Run(cancellationToken));
        });
        return command;
    }
}
