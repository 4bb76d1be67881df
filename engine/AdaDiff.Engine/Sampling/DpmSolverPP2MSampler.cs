namespace AdaDiff.Engine.Sampling;

/// <summary>
/// DPM-Solver++(2M), data prediction, multistep (Lu et al. 2022), on the discrete schedule with
/// α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t), λ_t = log(α_t/σ_t). Network timesteps are uniform in t:
/// τ_i = round((T−1)(S−i)/S), i = 0..S−1 (all of 0..T−1 when S = T), and the last step goes to the clean
/// image (σ = 0). The first step and the last are first order (DDIM); the others use the previous
/// step's x0 prediction: D = (1 + 1/(2r))·D_i − 1/(2r)·D_{i−1}, r = h_{i−1}/h_i,
/// x_{t} = (σ_t/σ_s)·x_s − α_t·(e^{−h} − 1)·D.
/// </summary>
public sealed class DpmSolverPP2MSampler : Sampler
{
    // Previous step's clipped x0 prediction of every image, [N, C, H, W] (3 KB per 28×28 image).
    private readonly float[] previousX0;

    internal DpmSolverPP2MSampler(NoiseSchedule schedule, int steps, int length)
        : base(schedule, UniformTimesteps(schedule.Timesteps, steps))
    {
        previousX0 = new float[length];
    }

    /// <inheritdoc/>
    public override SamplerKind Kind => SamplerKind.DpmSolverPP2M;

    private protected override void TakeStep(int stepIndex, Span<float> x, ReadOnlySpan<float> epsilon, ReadOnlySpan<float> noise, Span<float> predictedX0)
    {
        double alphaBarS = Schedule.AlphaBar(Timesteps[stepIndex]);
        PredictX0(x, epsilon, alphaBarS, predictedX0);
        if (x.Length > previousX0.Length)
        {
            throw new ArgumentException($"latents longer than the {previousX0.Length} floats this sampler was created for", nameof(x));
        }
        Span<float> previous = previousX0.AsSpan(0, x.Length);
        if (stepIndex == Steps - 1)
        {
            // Last step to σ = 0: first order lands exactly on the data prediction.
            predictedX0.CopyTo(x);
            predictedX0.CopyTo(previous);
            return;
        }

        double alphaBarT = Schedule.AlphaBar(Timesteps[stepIndex + 1]);
        double lambdaS = Lambda(alphaBarS);
        double lambdaT = Lambda(alphaBarT);
        double h = lambdaT - lambdaS;
        double sigmaRatio = Math.Sqrt((1.0 - alphaBarT) / (1.0 - alphaBarS));
        double dataCoef = -Math.Sqrt(alphaBarT) * double.ExpM1(-h);
        if (stepIndex == 0)
        {
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (float)((sigmaRatio * x[i]) + (dataCoef * predictedX0[i]));
            }
        }
        else
        {
            double hPrevious = lambdaS - Lambda(Schedule.AlphaBar(Timesteps[stepIndex - 1]));
            double r = hPrevious / h;
            double c1 = 1.0 + (0.5 / r);
            double c2 = -0.5 / r;
            for (int i = 0; i < x.Length; i++)
            {
                double d = (c1 * predictedX0[i]) + (c2 * previous[i]);
                x[i] = (float)((sigmaRatio * x[i]) + (dataCoef * d));
            }
        }
        predictedX0.CopyTo(previous);
    }

    /// <summary>λ = log(α/σ) = ½·log(ᾱ/(1 − ᾱ)).</summary>
    private static double Lambda(double alphaBar) => 0.5 * Math.Log(alphaBar / (1.0 - alphaBar));

    /// <summary>τ_i = round((T−1)(S−i)/S), descending; 0..T−1 descending when S = T (the rounding would repeat).</summary>
    internal static int[] UniformTimesteps(int trainingTimesteps, int steps)
    {
        int[] result = new int[steps];
        for (int i = 0; i < steps; i++)
        {
            result[i] = steps >= trainingTimesteps
                ? trainingTimesteps - 1 - i
                : (int)Math.Round((trainingTimesteps - 1.0) * (steps - i) / steps, MidpointRounding.ToEven);
        }
        return result;
    }
}
