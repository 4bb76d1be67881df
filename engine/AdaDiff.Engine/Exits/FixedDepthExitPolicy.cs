namespace AdaDiff.Engine.Exits;

/// <summary>FIXED_DEPTH, static truncation: every image exits at <see cref="Depth"/>; no uncertainty head runs.</summary>
/// <param name="depth">Exit layer, 1..the network's depth.</param>
public sealed class FixedDepthExitPolicy(int depth) : IExitPolicy
{
    /// <summary>Exit layer, 1..the network's depth.</summary>
    public int Depth { get; } = depth;

    /// <inheritdoc />
    public (string Field, string Message)? Check(int depth, int steps) =>
        Depth < 1 || Depth > depth ? (nameof(ExitPolicySettings.FixedDepth), $"fixed depth must be in 1..{depth}") : null;

    /// <inheritdoc />
    public ExitBounds BoundsAt(int step, int depth) => ExitBounds.At(Depth);

    /// <inheritdoc />
    public void SelectExits(int step, int layer, ReadOnlySpan<float> certainties, Span<bool> exits) => exits.Clear(); // never asked: the bounds are one layer
}
