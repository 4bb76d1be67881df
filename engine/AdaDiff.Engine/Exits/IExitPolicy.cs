namespace AdaDiff.Engine.Exits;

/// <summary>
/// Where the images of one job leave the network. <see cref="AdaptiveDenoiser"/> asks it two things: per step, the
/// layers the step's images may exit at (<see cref="BoundsAt"/>), from which it plans each pass (the layers before
/// the earliest bound of any group still in the batch run as one backend call); and per pass, layer and group of
/// images inside those bounds, which of them exit given their certainties (<see cref="SelectExits"/>). The denoiser
/// keeps the rest of the decision: no image exits before the earliest layer, every image still in the network exits
/// at the latest (the last layer at the latest), a guidance pair exits together on the lower certainty of its rows,
/// and the uncertainty heads run only where the bounds ask for certainties.
/// </summary>
/// <remarks>
/// The served policies are <see cref="AdaptiveExitPolicy"/>, <see cref="FullDepthExitPolicy"/> and
/// <see cref="FixedDepthExitPolicy"/>, built from a request's <see cref="ExitPolicySettings"/> by
/// <see cref="ExitPolicy.Create"/>; a policy the contract does not offer runs in process through
/// <see cref="Scheduling.GenerationScheduler.TryEnqueue(GenerationRequest, IExitPolicy, CancellationToken)"/>.
/// An implementation is immutable and allocates nothing per call: one instance serves every step of a job, on the
/// scheduler's worker thread, beside other jobs' policies in the same pass.
/// </remarks>
public interface IExitPolicy
{
    /// <summary>
    /// Checks the policy against a network of <paramref name="depth"/> layers sampled in <paramref name="steps"/>
    /// steps; returns null when it can run, else the offending field (relative to the request's exit policy) and why.
    /// </summary>
    (string Field, string Message)? Check(int depth, int steps);

    /// <summary>
    /// The layers the images of step <paramref name="step"/> (0 first, in sampling order) may exit at, in a network
    /// of <paramref name="depth"/> layers; 1 ≤ Earliest ≤ Latest ≤ depth.
    /// </summary>
    ExitBounds BoundsAt(int step, int depth);

    /// <summary>
    /// Which images of one group exit after <paramref name="layer"/>, asked only strictly inside the step's bounds
    /// (Earliest ≤ layer &lt; Latest). <paramref name="certainties"/> holds, per image of the group still in the
    /// network (in image order), its certainty at <paramref name="layer"/> (NaN when the bounds did not ask for
    /// certainties); <paramref name="exits"/>, as long, receives true for each image that leaves.
    /// </summary>
    void SelectExits(int step, int layer, ReadOnlySpan<float> certainties, Span<bool> exits);
}
