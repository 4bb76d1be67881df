using System.Diagnostics;
using System.Text.Json;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Engine;
using AdaDiff.Engine.Sampling;
using static TorchSharp.torch;

namespace AdaDiff.Tools;

/// <summary>What a UEM learns to predict, per pixel: <c>1 − tanh|ε̂_i − reference|</c>.</summary>
internal enum UemTargetKind
{
    /// <summary>The paper's: the true noise ε (how wrong layer i is).</summary>
    Noise,

    /// <summary>The full-depth prediction ε̂_L (whether the remaining layers would change layer i's prediction).</summary>
    Final,
}

/// <summary>Settings of <c>adadiff-tools train-uem</c>.</summary>
internal sealed record UemTuneOptions : PackageTuning
{
    /// <summary>The defaults of the shared options: 1,500 steps at 1e-3 after 100 warm-up steps.</summary>
    public static PackageTuning Defaults { get; } = new() { Steps = 1500, LearningRate = 1e-3, WarmupSteps = 100 };

    public UemTuneOptions()
        : base(Defaults)
    {
    }

    public UemTuneOptions(PackageTuning tuning)
        : base(tuning)
    {
    }

    public UemTargetKind Target { get; init; } = UemTargetKind.Final;
}

/// <summary>
/// Retrains only the uncertainty heads (UEMs) of a trained package on its frozen backbone, against a chosen target, and
/// writes the result as a new package: the backbone, the output head and so every full-depth image stay bit-identical,
/// only the exit decisions change. The UEMs read detached hidden states in training too, so this is the same objective
/// as the UEM term of the training loss, with the reference of the target as the one difference.
/// </summary>
internal sealed class UemTuner : IDisposable
{
    private readonly UemTuneOptions options;
    private readonly ModelManifest source;
    private readonly UViT model;
    private readonly AdamW optimizer;

    public UemTuner(UemTuneOptions options)
    {
        this.options = options;
        (source, model) = TuningLoop.LoadSource(options);
        var trainable = new List<(string, Tensor)>();
        foreach ((string name, var parameter) in model.named_parameters())
        {
            bool isUem = name.StartsWith("uem.", StringComparison.Ordinal);
            parameter.requires_grad = isUem;
            if (isUem)
            {
                trainable.Add((name, (Tensor)parameter));
            }
        }
        if (trainable.Count == 0)
        {
            throw new InvalidDataException($"{options.From}: the model has no uem.* parameters to train");
        }
        optimizer = new AdamW(trainable, 0.9, 0.999, 1e-8, weightDecay: 0);
    }

    /// <summary>Trains <see cref="PackageTuning.Steps"/> steps (or until <paramref name="stop"/>) and writes the package.</summary>
    public int Run(TextWriter log, CancellationToken stop = default)
    {
        using TrainingStep training = TuningLoop.NewTrainingStep(options, source);
        var clock = Stopwatch.StartNew();
        log.WriteLine($"train-uem: {options.Steps} steps of batch {options.Batch} against the {options.Target.ToString().ToLowerInvariant()} reference, from {options.From} (weights sha256 {source.Weights.Sha256?[..12]})");
        model.eval(); // no dropout in this model; the backbone is frozen either way
        (int steps, double average) = TuningLoop.Run(options, "UEM loss", step => training.Run(step, model, optimizer, UemLoss), clock, log, stop);
        TuningLoop.LogWritten(log, options, WritePackage(steps, average), clock);
        return 0;
    }

    public void Dispose()
    {
        optimizer.Dispose();
        model.Dispose();
    }

    /// <summary>The UEMs' loss against the target's reference, on the frozen backbone's hidden states of a noised batch.</summary>
    private Tensor UemLoss(NoisedBatch batch)
    {
        (Tensor xt, Tensor t, Tensor y, Tensor noise) = batch;
        // The frozen backbone: every layer's hidden state and prediction, without a graph.
        int depth = model.Depth;
        var hidden = new Tensor[depth];
        var predictions = new Tensor[depth];
        Tensor temb;
        using (no_grad())
        {
            temb = model.TimestepEmbedding(t.to_type(ScalarType.Float32));     // [B, D]
            Tensor h = model.Embed(xt, temb, y);                             // [B, T, D]
            var skips = new Stack<Tensor>();
            for (int i = 0; i < depth; i++)
            {
                h = model.Layer(i, h, model.Topology.PopsSkip(i) ? skips.Pop() : null); // [B, T, D]
                if (model.Topology.PushesSkip(i))
                {
                    skips.Push(h);
                }
                hidden[i] = h;
                predictions[i] = model.Head(h);                              // [B, 1, 28, 28]
            }
        }
        Tensor reference = options.Target == UemTargetKind.Final ? predictions[depth - 1] : noise; // [B, 1, 28, 28]
        Tensor loss = zeros(1).squeeze();                                                          // []
        for (int i = 0; i < depth; i++)
        {
            Tensor u = model.Unpatchify(model.UemPatches(i, hidden[i], temb));                   // [B, 1, 28, 28]
            loss = loss + (u - AdaDiffLoss.UemTarget(predictions[i], reference)).square().mean(); // []
        }
        return loss;
    }

    private ModelManifest WritePackage(int steps, double lossAverage)
    {
        string target = options.Target.ToString().ToLowerInvariant();
        var training = new
        {
            uemRetrained = new
            {
                command = options.Command,
                from = options.From,
                fromSha256 = source.Weights.Sha256,
                target,
                targetFormula = options.Target == UemTargetKind.Final ? "1 - tanh|eps_i - eps_L|" : "1 - tanh|eps_i - eps|",
                steps,
                batch = options.Batch,
                learningRate = options.LearningRate,
                warmupSteps = options.WarmupSteps,
                labelDropout = options.LabelDropout,
                seed = options.Seed,
                lossAverage = Math.Round(lossAverage, 6),
            },
            backbone = source.Training,
        };
        ModelManifest manifest = source with
        {
            Description = $"{source.Name} with its UEMs retrained for {steps} steps on the frozen backbone against the {target} reference (1 − tanh|ε̂_i − {(options.Target == UemTargetKind.Final ? "ε̂_L" : "ε")}|); backbone and full-depth images identical to {source.Name}.",
            DefaultThreshold = 0.9f, // the source's threshold was chosen for other certainties: choose again with eval --write-default
        };
        return PackageWriter.Save(options.PackageDir, manifest, training, model);
    }
}
