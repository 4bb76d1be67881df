namespace AdaDiff.Engine;

/// <summary>Kind of beta schedule.</summary>
public enum BetaScheduleKind
{
    /// <summary>Betas linear in t from BetaStart to BetaEnd (DDPM).</summary>
    Linear,

    /// <summary>Cosine ᾱ schedule (Nichol and Dhariwal), betas clipped at 0.999.</summary>
    Cosine,
}

/// <summary>The discrete noise schedule a model was trained on.</summary>
public sealed record NoiseScheduleSpec
{
    /// <summary>Beta schedule kind.</summary>
    public BetaScheduleKind Kind { get; init; } = BetaScheduleKind.Linear;

    /// <summary>Training timesteps T.</summary>
    public int Timesteps { get; init; } = 1000;

    /// <summary>First beta of a linear schedule.</summary>
    public double BetaStart { get; init; } = 1e-4;

    /// <summary>Last beta of a linear schedule.</summary>
    public double BetaEnd { get; init; } = 0.02;

    /// <summary>Checks the values; throws <see cref="InvalidDataException"/>.</summary>
    public void Validate(string source)
    {
        if (Timesteps < 2 || BetaStart <= 0 || BetaEnd >= 1 || BetaStart > BetaEnd)
        {
            throw new InvalidDataException($"{source}: invalid noise schedule (need timesteps >= 2 and 0 < betaStart <= betaEnd < 1)");
        }
    }
}
