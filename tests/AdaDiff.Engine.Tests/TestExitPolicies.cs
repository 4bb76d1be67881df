using AdaDiff.Engine.Exits;

namespace AdaDiff.Engine.Tests;

/// <summary>
/// Exit policies the contract does not offer, to drive the engine's policy seam the way the evaluation's comparison
/// baselines do: bounds that change per step, and a decision for a job's images as a whole.
/// </summary>
internal static class TestExitPolicies
{
    /// <summary>Every image of step k exits at <c>depths[k]</c>, no certainty read.</summary>
    internal sealed class StepDepths(params int[] depths) : IExitPolicy
    {
        public (string Field, string Message)? Check(int depth, int steps) =>
            depths.Length == steps ? null : ("Depths", $"has {depths.Length} depths for {steps} steps");

        public ExitBounds BoundsAt(int step, int depth) => ExitBounds.At(depths[step]);

        public void SelectExits(int step, int layer, ReadOnlySpan<float> certainties, Span<bool> exits) => exits.Clear();
    }

    /// <summary>A job's images leave together, from <c>minLayers</c> on, once their mean certainty passes.</summary>
    internal sealed class GroupMean(float threshold, int minLayers) : IExitPolicy
    {
        public (string Field, string Message)? Check(int depth, int steps) => null;

        public ExitBounds BoundsAt(int step, int depth) => new(minLayers, depth, NeedsCertainty: true);

        public void SelectExits(int step, int layer, ReadOnlySpan<float> certainties, Span<bool> exits)
        {
            double sum = 0;
            foreach (float c in certainties)
            {
                sum += c;
            }
            exits.Fill(sum / certainties.Length >= threshold);
        }
    }

    /// <summary>Decides like ADAPTIVE inside bounds of its own, and records what it was asked.</summary>
    internal sealed class Recording(float threshold, ExitBounds bounds) : IExitPolicy
    {
        public List<(int Step, int Layer, float[] Certainties)> Asked { get; } = [];

        public (string Field, string Message)? Check(int depth, int steps) => null;

        public ExitBounds BoundsAt(int step, int depth) => bounds;

        public void SelectExits(int step, int layer, ReadOnlySpan<float> certainties, Span<bool> exits)
        {
            Asked.Add((step, layer, certainties.ToArray()));
            for (int i = 0; i < certainties.Length; i++)
            {
                exits[i] = certainties[i] >= threshold;
            }
        }
    }
}
