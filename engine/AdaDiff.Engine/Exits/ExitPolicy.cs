namespace AdaDiff.Engine.Exits;

/// <summary>The served exit policies built from a request's <see cref="ExitPolicySettings"/>, and the checks every policy passes before it runs.</summary>
public static class ExitPolicy
{
    /// <summary>The policy that <paramref name="settings"/> names (its fields are checked by <see cref="Check(IExitPolicy, int, int)"/>).</summary>
    /// <exception cref="ArgumentException">The mode is not one the engine serves.</exception>
    public static IExitPolicy Create(ExitPolicySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Mode switch
        {
            ExitMode.Adaptive => new AdaptiveExitPolicy(settings.Threshold, settings.MinLayers),
            ExitMode.FullDepth => FullDepthExitPolicy.Instance,
            ExitMode.FixedDepth => new FixedDepthExitPolicy(settings.FixedDepth),
            _ => throw new ArgumentException($"unknown exit mode {settings.Mode}", nameof(settings)),
        };
    }

    /// <summary>
    /// Checks <paramref name="settings"/> against a network of <paramref name="depth"/> layers sampled in
    /// <paramref name="steps"/> steps; returns null when valid, else the name of the offending field and why.
    /// </summary>
    public static (string Field, string Message)? Check(ExitPolicySettings settings, int depth, int steps)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Enum.IsDefined(settings.Mode)
            ? Check(Create(settings), depth, steps)
            : (nameof(settings.Mode), "unknown exit mode");
    }

    /// <summary>
    /// Checks <paramref name="policy"/> (its own check, then its bounds at every step) against a network of
    /// <paramref name="depth"/> layers sampled in <paramref name="steps"/> steps; returns null when it can run, else
    /// the offending field ("" for the policy as a whole) and why.
    /// </summary>
    public static (string Field, string Message)? Check(IExitPolicy policy, int depth, int steps)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Check(depth, steps) is { } violation)
        {
            return violation;
        }
        for (int step = 0; step < steps; step++)
        {
            ExitBounds bounds = policy.BoundsAt(step, depth);
            if (!bounds.FitsDepth(depth))
            {
                return ("", $"step {step} exits in layers {bounds.Earliest}..{bounds.Latest}; they must lie in 1..{depth}");
            }
        }
        return null;
    }
}
