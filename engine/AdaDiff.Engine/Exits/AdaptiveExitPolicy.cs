namespace AdaDiff.Engine.Exits;

/// <summary>
/// ADAPTIVE, the paper's per-sample rule: each image leaves at the first layer from <see cref="MinLayers"/> on whose
/// certainty reaches <see cref="Threshold"/>, the last layer at the latest; the uncertainty heads run from
/// <see cref="MinLayers"/> on. Images of one job decide alone, so sharing a pass never costs an image its savings.
/// </summary>
/// <param name="threshold">Certainty needed to exit, in (0, 1].</param>
/// <param name="minLayers">Earliest exit layer, 1..depth.</param>
public sealed class AdaptiveExitPolicy(float threshold, int minLayers) : IExitPolicy
{
    /// <summary>Certainty needed to exit, in (0, 1].</summary>
    public float Threshold { get; } = threshold;

    /// <summary>Earliest exit layer, 1..depth.</summary>
    public int MinLayers { get; } = minLayers;

    /// <inheritdoc />
    public (string Field, string Message)? Check(int depth, int steps)
    {
        if (!(Threshold > 0f && Threshold <= 1f))
        {
            return (nameof(ExitPolicySettings.Threshold), "threshold must be in (0, 1]");
        }
        if (MinLayers < 1 || MinLayers > depth)
        {
            return (nameof(ExitPolicySettings.MinLayers), $"min layers must be in 1..{depth}");
        }
        return null;
    }

    /// <inheritdoc />
    public ExitBounds BoundsAt(int step, int depth) => new(MinLayers, depth, NeedsCertainty: true);

    /// <inheritdoc />
    public void SelectExits(int step, int layer, ReadOnlySpan<float> certainties, Span<bool> exits)
    {
        for (int i = 0; i < certainties.Length; i++)
        {
            exits[i] = certainties[i] >= Threshold; // NaN never passes
        }
    }
}
