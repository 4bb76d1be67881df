namespace AdaDiff.Engine.Exits;

/// <summary>
/// The exit rules of <see cref="ExitPolicySettings"/> over layers numbered 1..depth (layer i is the
/// output after running i layers). The last layer always exits.
/// </summary>
public static class ExitPolicy
{
    /// <summary>
    /// True if a row under <paramref name="policy"/> can leave at <paramref name="layer"/>: ADAPTIVE from
    /// MinLayers on, FIXED_DEPTH at its layer, every policy at the last layer.
    /// </summary>
    public static bool MayExitAt(ExitPolicySettings policy, int layer, int depth)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (layer >= depth)
        {
            return true;
        }
        return policy.Mode switch
        {
            ExitMode.Adaptive => layer >= policy.MinLayers,
            ExitMode.FixedDepth => layer == policy.FixedDepth,
            _ => false,
        };
    }

    /// <summary>
    /// True if the decision of a row under <paramref name="policy"/> at <paramref name="layer"/> needs its
    /// certainty: ADAPTIVE from MinLayers on (the last layer included, so the stream reports a certainty).
    /// FULL_DEPTH and FIXED_DEPTH never run an uncertainty head: they are the baselines adaptive exits are
    /// measured against, and must not pay for heads they do not use.
    /// </summary>
    public static bool NeedsCertaintyAt(ExitPolicySettings policy, int layer)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy.Mode == ExitMode.Adaptive && layer >= policy.MinLayers;
    }

    /// <summary>
    /// True if a row (or, for guidance, an image: the minimum of its two rows; or, for the per-batch rule,
    /// a job: the mean over its images) with <paramref name="certainty"/> leaves at <paramref name="layer"/>.
    /// </summary>
    public static bool ShouldExit(ExitPolicySettings policy, int layer, int depth, float certainty)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (layer >= depth)
        {
            return true;
        }
        return policy.Mode switch
        {
            ExitMode.Adaptive => layer >= policy.MinLayers && certainty >= policy.Threshold,
            ExitMode.FixedDepth => layer == policy.FixedDepth,
            _ => false,
        };
    }

    /// <summary>
    /// Checks <paramref name="policy"/> against a network of <paramref name="depth"/> layers; returns null when
    /// valid, else the name of the offending field and why.
    /// </summary>
    public static (string Field, string Message)? Check(ExitPolicySettings policy, int depth)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.DepthSchedule is { } schedule)
        {
            if (policy.Mode != ExitMode.FixedDepth)
            {
                return (nameof(policy.DepthSchedule), "a depth schedule needs the fixed-depth mode");
            }
            if (schedule.Count == 0 || schedule.Any(d => d < 1 || d > depth))
            {
                return (nameof(policy.DepthSchedule), $"needs one depth per step, each in 1..{depth}");
            }
            return null;
        }
        return policy.Mode switch
        {
            ExitMode.Adaptive when !(policy.Threshold > 0f && policy.Threshold <= 1f) =>
                (nameof(policy.Threshold), "threshold must be in (0, 1]"),
            ExitMode.Adaptive when policy.MinLayers < 1 || policy.MinLayers > depth =>
                (nameof(policy.MinLayers), $"min layers must be in 1..{depth}"),
            ExitMode.FixedDepth when policy.FixedDepth < 1 || policy.FixedDepth > depth =>
                (nameof(policy.FixedDepth), $"fixed depth must be in 1..{depth}"),
            ExitMode.Adaptive or ExitMode.FixedDepth or ExitMode.FullDepth => null,
            _ => (nameof(policy.Mode), "unknown exit mode"),
        };
    }
}
