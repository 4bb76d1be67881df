namespace AdaDiff.Engine.Exits;

/// <summary>FULL_DEPTH: every image runs every layer; no uncertainty head runs.</summary>
public sealed class FullDepthExitPolicy : IExitPolicy
{
    private FullDepthExitPolicy()
    {
    }

    /// <summary>The one instance (the policy has no settings).</summary>
    public static FullDepthExitPolicy Instance { get; } = new();

    /// <inheritdoc />
    public (string Field, string Message)? Check(int depth, int steps) => null;

    /// <inheritdoc />
    public ExitBounds BoundsAt(int step, int depth) => ExitBounds.At(depth);

    /// <inheritdoc />
    public void SelectExits(int step, int layer, ReadOnlySpan<float> certainties, Span<bool> exits) => exits.Clear(); // never asked: the bounds are one layer
}
