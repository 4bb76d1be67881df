using AdaDiff.Engine;
using AdaDiff.Engine.Exits;

namespace AdaDiff.Evaluation.Internal.Policies;

/// <summary>
/// A static timestep schedule, for comparison with per-sample exits: every image of step k (in sampling order, 0
/// first) exits at <see cref="Depths"/>[k], one depth per step, without reading a certainty. It asks whether a depth
/// that depends on the step alone does as well as the per-sample decision. Not served.
/// </summary>
internal sealed class DepthScheduleExitPolicy : IExitPolicy
{
    private readonly int[] depths;

    public DepthScheduleExitPolicy(IReadOnlyList<int> depths)
    {
        ArgumentNullException.ThrowIfNull(depths);
        this.depths = [.. depths];
    }

    /// <summary>The exit layer of each step.</summary>
    public IReadOnlyList<int> Depths => depths;

    public (string Field, string Message)? Check(int depth, int steps)
    {
        if (depths.Length != steps)
        {
            return ("DepthSchedule", $"has {depths.Length} depths for {steps} steps; give one per step");
        }
        foreach (int d in depths)
        {
            if (d < 1 || d > depth)
            {
                return ("DepthSchedule", $"needs one depth per step, each in 1..{depth}");
            }
        }
        return null;
    }

    public ExitBounds BoundsAt(int step, int depth) => ExitBounds.At(depths[step]);

    public void SelectExits(int step, int layer, ReadOnlySpan<float> certainties, Span<bool> exits) => exits.Clear(); // never asked: the bounds are one layer

    /// <summary>The request's exit settings beside this policy: the fixed-depth family, whose one depth it replaces per step.</summary>
    public static ExitPolicySettings Settings { get; } = new(ExitMode.FixedDepth, 1f, 1, 0);
}
