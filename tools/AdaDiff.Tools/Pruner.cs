using System.Diagnostics;
using System.Globalization;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp.Pruning;
using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Engine;
using static TorchSharp.torch;

namespace AdaDiff.Tools;

/// <summary>Settings of <c>adadiff-tools prune</c>.</summary>
internal sealed record PruneOptions : PackageTuning
{
    /// <summary>The defaults of the shared options: 500 fine-tuning steps at 1e-4 after 50 warm-up steps.</summary>
    public static PackageTuning Defaults { get; } = new() { Steps = 500, LearningRate = 1e-4, WarmupSteps = 50 };

    public PruneOptions()
        : base(Defaults)
    {
    }

    public PruneOptions(PackageTuning tuning)
        : base(tuning)
    {
    }

    public int KeepHeads { get; init; } = 3;
    public double KeepMlp { get; init; } = 0.5;
}

/// <summary>
/// Prunes a trained class-conditional package structurally (<see cref="StructuredPruning"/>: the heads and MLP
/// channels of largest magnitude kept in every layer), fine-tunes every parameter of the smaller network for a few
/// hundred steps with the AdaDiff loss (the layer-wise term included, so its exits stay usable), and writes it as a new
/// package whose manifest records the widths, the FLOPs and the commands.
/// </summary>
internal sealed class Pruner : IDisposable
{
    private readonly PruneOptions options;
    private readonly ModelManifest source;
    private readonly UViT model;
    private readonly AdamW optimizer;
    private readonly long sourceParameters;

    public Pruner(PruneOptions options)
    {
        this.options = options;
        (source, UViT full) = TuningLoop.LoadSource(options);
        using (full)
        {
            if (source.Conditioning != ConditioningKind.Class)
            {
                throw new ArgumentException($"{options.From}: prune takes a class-conditional package; this one is conditioned on {source.Conditioning.ToString().ToLowerInvariant()}");
            }
            if (options.KeepHeads > source.NumHeads)
            {
                throw new ArgumentException($"--keep-heads {options.KeepHeads}: the model has {source.NumHeads} heads per layer");
            }
            sourceParameters = full.parameters().Sum(p => p.numel());
            model = StructuredPruning.Apply(full, StructuredPruning.Select(full, options.KeepHeads, options.KeepMlp));
        }
        optimizer = new AdamW(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), 0.9, 0.999, 1e-8, weightDecay: 0);
    }

    /// <summary>Fine-tunes <see cref="PackageTuning.Steps"/> steps (or until <paramref name="stop"/>) and writes the package.</summary>
    public int Run(TextWriter log, CancellationToken stop = default)
    {
        long kept = model.parameters().Sum(p => p.numel());
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"prune: {options.KeepHeads} of {source.NumHeads} heads and {options.KeepMlp:P0} of the MLP channels per layer: {kept:N0} of {sourceParameters:N0} parameters, {Flops(model.Manifest) / Flops(source):P1} of the layers' FLOPs"));
        var clock = Stopwatch.StartNew();
        double average = double.NaN;
        int step = 0;
        if (options.Steps > 0)
        {
            using TrainingStep training = TuningLoop.NewTrainingStep(options, source);
            model.train();
            (step, average) = TuningLoop.Run(options, "loss", n => FineTuneStep(training, n), clock, log, stop);
            model.eval();
        }
        TuningLoop.LogWritten(log, options, WritePackage(step, average, kept), clock);
        return 0;
    }

    public void Dispose()
    {
        optimizer.Dispose();
        model.Dispose();
    }

    /// <summary>One fine-tuning step with the AdaDiff loss and clipped gradients; a loss that is not finite stops the command before anything is written.</summary>
    private double FineTuneStep(TrainingStep training, int step)
    {
        double loss = training.Run(step, model, optimizer, AdaDiffLossOf, clipGradNorm: 1.0);
        if (!double.IsFinite(loss))
        {
            throw new TrainingDivergedException($"prune: fine-tuning step {step + 1}'s loss is {loss}; nothing was written. Try a lower --lr");
        }
        return loss;
    }

    private static double Flops(ModelManifest manifest) => manifest.Flops.PerLayer.Sum();

    /// <summary>The AdaDiff loss with its layer-wise term, as in training.</summary>
    private Tensor AdaDiffLossOf(NoisedBatch batch)
    {
        (Tensor[] predictions, Tensor[] certainties) = model.ForwardExits(batch.Xt, batch.Timesteps.to_type(ScalarType.Float32), batch.Conditions); // each [B, C, H, W]
        return AdaDiffLoss.Compute(predictions, certainties, batch.Noise).Total; // []
    }

    private ModelManifest WritePackage(int steps, double lossAverage, long parameters)
    {
        var training = new
        {
            pruned = new
            {
                command = options.Command,
                from = options.From,
                fromSha256 = source.Weights.Sha256,
                method = "structured magnitude: per layer, the heads with the largest squared L2 norm of their qkv rows and proj columns, the MLP channels with the largest of their fc1 row and bias and fc2 column",
                keepHeads = options.KeepHeads,
                keepMlp = options.KeepMlp,
                parameters,
                fineTuneSteps = steps,
                batch = options.Batch,
                learningRate = options.LearningRate,
                warmupSteps = options.WarmupSteps,
                labelDropout = options.LabelDropout,
                clipGradNorm = 1.0,
                seed = options.Seed,
                lossAverage = double.IsNaN(lossAverage) ? (double?)null : Math.Round(lossAverage, 6),
            },
            backbone = source.Training,
        };
        ModelManifest manifest = model.Manifest with
        {
            Description = string.Create(CultureInfo.InvariantCulture,
                $"{source.Name} pruned to {options.KeepHeads} of {source.NumHeads} heads and {options.KeepMlp:P0} of the MLP channels per layer by magnitude, then fine-tuned for {steps} steps with the AdaDiff loss."),
            DefaultThreshold = source.DefaultThreshold, // chosen for the unpruned model: choose again with eval --write-default
        };
        return PackageWriter.Save(options.PackageDir, manifest, training, model);
    }
}
