using AdaDiff.Engine.Exits;

namespace AdaDiff.Evaluation.Internal.Policies;

/// <summary>
/// The official AdaDiff code's rule, for comparison with the per-sample one: a job's images leave together at the
/// first layer from <c>minLayers</c> on where the mean of their certainties reaches the threshold. Its bounds and
/// checks are the per-sample policy's (<see cref="AdaptiveExitPolicy"/>); only the decision differs. Not served.
/// </summary>
internal sealed class PerBatchExitPolicy(float threshold, int minLayers) : IExitPolicy
{
    private readonly AdaptiveExitPolicy perSample = new(threshold, minLayers);

    public float Threshold => perSample.Threshold;

    public (string Field, string Message)? Check(int depth, int steps) => perSample.Check(depth, steps);

    public ExitBounds BoundsAt(int step, int depth) => perSample.BoundsAt(step, depth);

    public void SelectExits(int step, int layer, ReadOnlySpan<float> certainties, Span<bool> exits)
    {
        double sum = 0;
        foreach (float c in certainties)
        {
            sum += c;
        }
        exits.Fill((float)(sum / certainties.Length) >= Threshold);
    }
}
