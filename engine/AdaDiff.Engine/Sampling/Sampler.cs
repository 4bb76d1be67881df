namespace AdaDiff.Engine.Sampling;

/// <summary>
/// One sampling run of one job over a <see cref="NoiseSchedule"/>: the timestep the network sees at each
/// step and the update x_t → x_{t−1} from the network's noise prediction ε̂. Arrays are the job's
/// images, [N, C, H, W] flattened row-major; every operation is element-wise, so an image's result
/// never depends on the other images of the job. Predicted x0 is clipped to [−1, 1] before it is used.
/// A sampler holds per-image state (DPM-Solver++ keeps the previous x0), so steps must be taken in
/// order, one instance per job.
/// </summary>
public abstract class Sampler
{
    /// <summary>Default steps of DDPM ancestral sampling (the paper's setting).</summary>
    public const int DefaultDdpmSteps = 1000;

    /// <summary>Default steps of DDIM.</summary>
    public const int DefaultDdimSteps = 50;

    /// <summary>Default steps of DPM-Solver++(2M).</summary>
    public const int DefaultDpmSolverSteps = 20;

    private readonly int[] timesteps;
    private int nextStep;

    /// <summary>Creates a sampler whose network timesteps are <paramref name="timesteps"/> (one per step, descending).</summary>
    private protected Sampler(NoiseSchedule schedule, int[] timesteps)
    {
        Schedule = schedule;
        this.timesteps = timesteps;
    }

    /// <summary>The algorithm.</summary>
    public abstract SamplerKind Kind { get; }

    /// <summary>The noise schedule.</summary>
    public NoiseSchedule Schedule { get; }

    /// <summary>Number of steps (network evaluations per image).</summary>
    public int Steps => timesteps.Length;

    /// <summary>Network timestep of each step, [Steps], descending, in 0..T−1.</summary>
    public ReadOnlySpan<int> Timesteps => timesteps;

    /// <summary>The step the next <see cref="Step"/> call must take.</summary>
    public int NextStep => nextStep;

    /// <summary>Default step count of <paramref name="kind"/> (1000, 50 or 20), at most <paramref name="trainingTimesteps"/>.</summary>
    public static int DefaultSteps(SamplerKind kind, int trainingTimesteps = int.MaxValue) => Math.Min(
        trainingTimesteps,
        kind switch
        {
            SamplerKind.Ddpm => DefaultDdpmSteps,
            SamplerKind.Ddim => DefaultDdimSteps,
            SamplerKind.DpmSolverPP2M => DefaultDpmSolverSteps,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown sampler"),
        });

    /// <summary>Creates a sampler for one job.</summary>
    /// <param name="kind">Algorithm.</param>
    /// <param name="schedule">The model's noise schedule.</param>
    /// <param name="steps">1..T.</param>
    /// <param name="length">Floats in the job's latent array (N×C×H×W); sizes the per-image state.</param>
    public static Sampler Create(SamplerKind kind, NoiseSchedule schedule, int steps, int length)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(steps, schedule.Timesteps);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        return kind switch
        {
            SamplerKind.Ddpm => new DdpmSampler(schedule, steps),
            SamplerKind.Ddim => new DdimSampler(schedule, steps),
            SamplerKind.DpmSolverPP2M => new DpmSolverPP2MSampler(schedule, steps, length),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown sampler"),
        };
    }

    /// <summary>
    /// The kept timesteps of improved-DDPM respacing with one section (<c>space_timesteps(T, [steps])</c>),
    /// ascending: round(i·(T−1)/(steps−1)) for i = 0..steps−1; {T−1} for one step.
    /// </summary>
    public static int[] SpacedTimesteps(int trainingTimesteps, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(steps, trainingTimesteps);
        int[] kept = new int[steps];
        if (steps == 1)
        {
            kept[0] = trainingTimesteps - 1;
            return kept;
        }
        double stride = (trainingTimesteps - 1.0) / (steps - 1);
        for (int i = 0; i < steps; i++)
        {
            kept[i] = (int)Math.Round(i * stride, MidpointRounding.ToEven);
        }
        return kept;
    }

    /// <summary>True when step <paramref name="stepIndex"/> adds fresh Gaussian noise (one N(0, 1) per element).</summary>
    public virtual bool NeedsNoise(int stepIndex) => false;

    /// <summary>
    /// Takes step <paramref name="stepIndex"/> (which must be <see cref="NextStep"/>): x_t → x_{t−1} in place.
    /// </summary>
    /// <param name="stepIndex">0..Steps−1.</param>
    /// <param name="x">x_t on entry, x_{t−1} on return, [N, C, H, W].</param>
    /// <param name="epsilon">Network noise prediction ε̂(x_t, t), [N, C, H, W].</param>
    /// <param name="noise">N(0, 1) draws, [N, C, H, W], when <see cref="NeedsNoise"/>; otherwise ignored (may be empty).</param>
    /// <param name="predictedX0">Receives the clipped x0 prediction, [N, C, H, W].</param>
    public void Step(int stepIndex, Span<float> x, ReadOnlySpan<float> epsilon, ReadOnlySpan<float> noise, Span<float> predictedX0)
    {
        if (stepIndex != nextStep)
        {
            throw new InvalidOperationException($"step {stepIndex} taken out of order; expected step {nextStep}");
        }
        if (epsilon.Length != x.Length || predictedX0.Length != x.Length || (NeedsNoise(stepIndex) && noise.Length != x.Length))
        {
            throw new ArgumentException("x, epsilon, predictedX0 (and noise when needed) must have the same length", nameof(epsilon));
        }
        TakeStep(stepIndex, x, epsilon, noise, predictedX0);
        nextStep++;
    }

    /// <summary>The algorithm's update; arguments are validated.</summary>
    private protected abstract void TakeStep(int stepIndex, Span<float> x, ReadOnlySpan<float> epsilon, ReadOnlySpan<float> noise, Span<float> predictedX0);

    /// <summary>x0 = clip((x − √(1−ᾱ)·ε)/√ᾱ, −1, 1).</summary>
    private protected static double PredictX0(double x, double eps, double alphaBar) =>
        Math.Clamp((x - (Math.Sqrt(1.0 - alphaBar) * eps)) / Math.Sqrt(alphaBar), -1.0, 1.0);

    /// <summary>Fills <paramref name="predictedX0"/> with clip((x − √(1−ᾱ)·ε)/√ᾱ, −1, 1).</summary>
    private protected static void PredictX0(ReadOnlySpan<float> x, ReadOnlySpan<float> epsilon, double alphaBar, Span<float> predictedX0)
    {
        double a = 1.0 / Math.Sqrt(alphaBar);
        double b = Math.Sqrt((1.0 / alphaBar) - 1.0);
        for (int i = 0; i < x.Length; i++)
        {
            predictedX0[i] = (float)Math.Clamp((a * x[i]) - (b * epsilon[i]), -1.0, 1.0);
        }
    }
}
