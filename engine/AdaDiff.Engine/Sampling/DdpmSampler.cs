namespace AdaDiff.Engine.Sampling;

/// <summary>
/// DDPM ancestral sampling (Ho et al. 2020) with improved-DDPM respacing: the kept timesteps k_0 &lt; … &lt; k_{S−1}
/// get betas β'_j = 1 − ᾱ_{k_j}/ᾱ_{k_{j−1}} (ᾱ_{k_{−1}} = 1), so the respaced process has the same ᾱ at the kept
/// timesteps. Each step draws x_{t−1} ~ q(x_{t−1} | x_t, x0̂) = N(μ̃, β̃) with the clipped x0̂; the last step
/// (β̃ = 0) returns the posterior mean without noise.
/// </summary>
public sealed class DdpmSampler : Sampler
{
    private readonly double[] respacedBetas;
    // Per respaced index j: √(1/ᾱ), √(1/ᾱ − 1), μ̃ coefficients of x0 and x_t, √β̃. 5 doubles × S (40 KB at S = 1000).
    private readonly double[] recipAlphaBar;
    private readonly double[] recipAlphaBarMinusOne;
    private readonly double[] meanCoefX0;
    private readonly double[] meanCoefXt;
    private readonly double[] posteriorStd;

    internal DdpmSampler(NoiseSchedule schedule, int steps)
        : base(schedule, Descending(SpacedTimesteps(schedule.Timesteps, steps)))
    {
        int[] kept = SpacedTimesteps(schedule.Timesteps, steps);
        respacedBetas = new double[steps];
        recipAlphaBar = new double[steps];
        recipAlphaBarMinusOne = new double[steps];
        meanCoefX0 = new double[steps];
        meanCoefXt = new double[steps];
        posteriorStd = new double[steps];
        double previous = 1.0;
        for (int j = 0; j < steps; j++)
        {
            double alphaBar = schedule.AlphaBar(kept[j]);
            double beta = 1.0 - (alphaBar / previous);
            respacedBetas[j] = beta;
            recipAlphaBar[j] = Math.Sqrt(1.0 / alphaBar);
            recipAlphaBarMinusOne[j] = Math.Sqrt((1.0 / alphaBar) - 1.0);
            meanCoefX0[j] = beta * Math.Sqrt(previous) / (1.0 - alphaBar);
            meanCoefXt[j] = (1.0 - previous) * Math.Sqrt(1.0 - beta) / (1.0 - alphaBar);
            posteriorStd[j] = Math.Sqrt(beta * (1.0 - previous) / (1.0 - alphaBar));
            previous = alphaBar;
        }
    }

    /// <inheritdoc/>
    public override SamplerKind Kind => SamplerKind.Ddpm;

    /// <summary>Betas of the respaced process, ascending in time, [S].</summary>
    public ReadOnlySpan<double> RespacedBetas => respacedBetas;

    /// <summary>Posterior variance β̃ used at step <paramref name="stepIndex"/> (0 at the last step).</summary>
    public double PosteriorVariance(int stepIndex)
    {
        double std = posteriorStd[Steps - 1 - stepIndex];
        return std * std;
    }

    /// <inheritdoc/>
    public override bool NeedsNoise(int stepIndex) => stepIndex < Steps - 1;

    private protected override void TakeStep(int stepIndex, Span<float> x, ReadOnlySpan<float> epsilon, ReadOnlySpan<float> noise, Span<float> predictedX0)
    {
        int j = Steps - 1 - stepIndex;
        double a = recipAlphaBar[j];
        double b = recipAlphaBarMinusOne[j];
        double c0 = meanCoefX0[j];
        double ct = meanCoefXt[j];
        double std = posteriorStd[j];
        bool addNoise = NeedsNoise(stepIndex);
        for (int i = 0; i < x.Length; i++)
        {
            double x0 = Math.Clamp((a * x[i]) - (b * epsilon[i]), -1.0, 1.0);
            predictedX0[i] = (float)x0;
            double mean = (c0 * x0) + (ct * x[i]);
            x[i] = (float)(addNoise ? mean + (std * noise[i]) : mean);
        }
    }

    internal static int[] Descending(int[] ascending)
    {
        Array.Reverse(ascending);
        return ascending;
    }
}
