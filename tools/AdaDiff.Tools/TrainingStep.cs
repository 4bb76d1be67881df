using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Engine;
using AdaDiff.Engine.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace AdaDiff.Tools;

/// <summary>
/// One optimisation step of a diffusion objective, the same for <c>train</c> and <c>train-uem</c>: the images of step n
/// from a fixed shuffle per epoch, their conditions (labels, or captions: <see cref="ITrainingConditions"/>), flips,
/// condition dropout, timesteps and noise from a generator seeded by (seed, n), so a
/// resumed run draws exactly what it would have; then the caller's loss, backward, optional gradient clipping and AdamW
/// at the learning rate warmed up linearly over the first steps.
/// </summary>
internal sealed class TrainingStep : IDisposable
{
    private readonly TrainingBatches batches;
    private readonly float[] images;
    private readonly long[] labels;
    private readonly int[] indices;
    private readonly long[] conditionRows;
    private readonly ITrainingConditions conditions;
    private readonly Generator generator = new(0);
    private readonly Tensor alphasBar;
    private readonly int seed;
    private readonly double dropout;
    private readonly bool horizontalFlip;
    private readonly double learningRate;
    private readonly int warmupSteps;
    private readonly long warmupFrom;

    /// <param name="data">Training images.</param>
    /// <param name="batch">Images per step.</param>
    /// <param name="seed">Seed of the shuffle and of every step's draws.</param>
    /// <param name="schedule">The model's noise schedule (its manifest's).</param>
    /// <param name="conditions">The rows' conditions and the unconditional one (classifier-free guidance).</param>
    /// <param name="dropout">Probability of replacing a row's condition by the unconditional one.</param>
    /// <param name="horizontalFlip">Flip half the images left to right.</param>
    /// <param name="learningRate">Learning rate after the warm-up.</param>
    /// <param name="warmupSteps">Steps of the linear warm-up from learningRate / warmupSteps.</param>
    /// <param name="warmupFrom">The step the warm-up starts at: 0, or where a run started from a package's weights with a fresh optimizer.</param>
    public TrainingStep(FashionMnist data, int batch, int seed, NoiseScheduleSpec schedule, ITrainingConditions conditions, double dropout, bool horizontalFlip, double learningRate, int warmupSteps, long warmupFrom = 0)
    {
        batches = new TrainingBatches(data, batch, seed);
        images = new float[batch * FashionMnist.Pixels];
        labels = new long[batch];
        indices = new int[batch];
        conditionRows = new long[batch * conditions.Width];
        this.conditions = conditions;
        alphasBar = AlphasBar(schedule);
        this.seed = seed;
        this.dropout = dropout;
        this.horizontalFlip = horizontalFlip;
        this.learningRate = learningRate;
        this.warmupSteps = warmupSteps;
        this.warmupFrom = warmupFrom;
    }

    /// <summary>
    /// Sets this process up for training before any model is made: libtorch's threads, and the checked kernels every
    /// backward pass of ours runs on (oneDNN's convolution input gradients are wrong on some CPUs: see
    /// <see cref="TrainingKernels"/>).
    /// </summary>
    public static void ConfigureProcess(int threads)
    {
        set_num_threads(threads);
        TrainingKernels.Configure();
    }

    /// <summary>Whole batches per epoch.</summary>
    public int StepsPerEpoch => batches.StepsPerEpoch;

    /// <summary>Runs one step: draws its noised batch, takes the loss of it and updates the optimizer's parameters. Returns the loss.</summary>
    /// <param name="step">The step (0-based), which fixes its images, its draws and its learning rate.</param>
    /// <param name="model">The module whose gradients are zeroed (and clipped) around the backward pass.</param>
    /// <param name="optimizer">The optimizer of the parameters that learn.</param>
    /// <param name="loss">The objective of a noised batch, a scalar tensor in the step's dispose scope.</param>
    /// <param name="clipGradNorm">Largest gradient norm of <paramref name="model"/>'s parameters; 0 does not clip.</param>
    public double Run(long step, nn.Module model, AdamW optimizer, Func<NoisedBatch, Tensor> loss, double clipGradNorm = 0)
    {
        using var scope = NewDisposeScope();
        NoisedBatch noised = Draw(step);
        Tensor value = loss(noised); // []
        model.zero_grad();
        value.backward();
        if (clipGradNorm > 0)
        {
            nn.utils.clip_grad_norm_(model.parameters(), clipGradNorm);
        }
        optimizer.Step(LearningRate(step));
        return value.item<float>();
    }

    /// <summary>
    /// The noised batch of step <paramref name="step"/> (0-based), a function of the step alone: its images and
    /// conditions, then the draws of a generator seeded by (seed, step). Tensors belong to the caller's dispose scope.
    /// </summary>
    public NoisedBatch Draw(long step)
    {
        batches.Fill(step, images, labels, indices);
        conditions.Fill(step / StepsPerEpoch, indices, labels, conditionRows);
        generator.manual_seed(unchecked((seed * 1_000_003L) + step));
        return NoisedBatch.Draw(images, conditionRows, conditions.RowShape, conditions.NullValue, alphasBar, dropout, horizontalFlip, generator);
    }

    /// <summary>The images' indices in the split of the batch last drawn (<see cref="Draw"/>), batch values.</summary>
    public ReadOnlySpan<int> LastIndices => indices;

    /// <summary>The learning rate of step <paramref name="step"/> (0-based): linear warm-up from the warm-up's first step, then constant.</summary>
    public double LearningRate(long step) => learningRate * Math.Min(1.0, (step - warmupFrom + 1.0) / Math.Max(1, warmupSteps));

    public void Dispose()
    {
        alphasBar.Dispose();
        generator.Dispose();
    }

    /// <summary>ᾱ_t of the schedule in float32, [T] (the engine's float64 products, as the samplers use them).</summary>
    private static Tensor AlphasBar(NoiseScheduleSpec spec)
    {
        var schedule = new NoiseSchedule(spec);
        var values = new float[schedule.Timesteps];
        for (int t = 0; t < values.Length; t++)
        {
            values[t] = (float)schedule.AlphaBar(t);
        }
        return tensor(values); // [T]
    }
}
