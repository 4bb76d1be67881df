namespace AdaDiff.Engine.Sampling;

/// <summary>
/// DDIM with η = 0 (Song et al. 2021) over the improved-DDPM kept timesteps: x0̂ is clipped, ε is recomputed
/// from the clipped x0̂ (as improved-DDPM's <c>ddim_sample</c>), and
/// x_{prev} = √ᾱ_prev·x0̂ + √(1 − ᾱ_prev)·ε; the last step lands on x0̂ (ᾱ_prev = 1).
/// </summary>
public sealed class DdimSampler : Sampler
{
    internal DdimSampler(NoiseSchedule schedule, int steps)
        : base(schedule, DdpmSampler.Descending(SpacedTimesteps(schedule.Timesteps, steps)))
    {
    }

    /// <inheritdoc/>
    public override SamplerKind Kind => SamplerKind.Ddim;

    private protected override void TakeStep(int stepIndex, Span<float> x, ReadOnlySpan<float> epsilon, ReadOnlySpan<float> noise, Span<float> predictedX0)
    {
        double alphaBar = Schedule.AlphaBar(Timesteps[stepIndex]);
        double alphaBarPrev = stepIndex + 1 < Steps ? Schedule.AlphaBar(Timesteps[stepIndex + 1]) : 1.0;
        double a = 1.0 / Math.Sqrt(alphaBar);
        double b = Math.Sqrt((1.0 / alphaBar) - 1.0);
        double sqrtAlphaBar = Math.Sqrt(alphaBar);
        double recipSigma = 1.0 / Math.Sqrt(1.0 - alphaBar);
        double sqrtPrev = Math.Sqrt(alphaBarPrev);
        double sigmaPrev = Math.Sqrt(1.0 - alphaBarPrev);
        for (int i = 0; i < x.Length; i++)
        {
            double x0 = Math.Clamp((a * x[i]) - (b * epsilon[i]), -1.0, 1.0);
            double eps = (x[i] - (sqrtAlphaBar * x0)) * recipSigma;
            predictedX0[i] = (float)x0;
            x[i] = (float)((sqrtPrev * x0) + (sigmaPrev * eps));
        }
    }
}
