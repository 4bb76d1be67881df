namespace AdaDiff.Engine.Sampling;

/// <summary>
/// The discrete forward process of a model, in double precision: β_t, α_t = 1 − β_t and
/// ᾱ_t = Π_{s ≤ t} α_s for t = 0..T−1 (index t is what the network sees as its timestep).
/// </summary>
public sealed class NoiseSchedule
{
    /// <summary>Offset s of the cosine schedule (Nichol and Dhariwal 2021).</summary>
    public const double CosineOffset = 0.008;

    /// <summary>Largest β of the cosine schedule (clipping avoids a singularity at t = T).</summary>
    public const double CosineMaxBeta = 0.999;

    private readonly double[] betas;
    private readonly double[] alphasCumprod;

    /// <summary>Builds the schedule from its specification.</summary>
    public NoiseSchedule(NoiseScheduleSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate("noise schedule");
        Spec = spec;
        int timesteps = spec.Timesteps;
        betas = new double[timesteps];
        switch (spec.Kind)
        {
            case BetaScheduleKind.Linear:
                for (int t = 0; t < timesteps; t++)
                {
                    // numpy.linspace(start, end, T): both ends included.
                    betas[t] = spec.BetaStart + ((spec.BetaEnd - spec.BetaStart) * t / (timesteps - 1));
                }
                break;
            case BetaScheduleKind.Cosine:
                for (int t = 0; t < timesteps; t++)
                {
                    double ratio = CosineAlphaBar((t + 1.0) / timesteps) / CosineAlphaBar((double)t / timesteps);
                    betas[t] = Math.Min(1.0 - ratio, CosineMaxBeta);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "unknown beta schedule");
        }

        alphasCumprod = new double[timesteps];
        double product = 1.0;
        for (int t = 0; t < timesteps; t++)
        {
            product *= 1.0 - betas[t];
            alphasCumprod[t] = product;
        }
    }

    /// <summary>The specification this schedule was built from.</summary>
    public NoiseScheduleSpec Spec { get; }

    /// <summary>Training timesteps T.</summary>
    public int Timesteps => betas.Length;

    /// <summary>β_t, [T].</summary>
    public ReadOnlySpan<double> Betas => betas;

    /// <summary>ᾱ_t = Π_{s ≤ t} (1 − β_s), [T].</summary>
    public ReadOnlySpan<double> AlphasCumprod => alphasCumprod;

    /// <summary>ᾱ at timestep <paramref name="t"/>.</summary>
    public double AlphaBar(int t) => alphasCumprod[t];

    /// <summary>ᾱ(u) = cos²(((u + s)/(1 + s))·π/2) of the cosine schedule, u in [0, 1] (unnormalised).</summary>
    private static double CosineAlphaBar(double u)
    {
        double c = Math.Cos((u + CosineOffset) / (1 + CosineOffset) * Math.PI / 2);
        return c * c;
    }
}
