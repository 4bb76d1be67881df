namespace AdaDiff.Engine.Backends;

/// <summary>
/// A backend seen through its per-stage calls only: batches forward RunLayer, Certainty, Predict and Keep, and leave
/// RunLayers, RunLayerWithCertainty and PredictAtDepth to the interfaces' looping defaults, so every pass runs one
/// stage a call. It is what the fused calls are defined against (the conformance suite compares them bit for bit)
/// and what a benchmark measures them against in the same process. Does not own <paramref name="inner"/>.
/// </summary>
public sealed class PerStageBackend(IDenoiserBackend inner) : IDenoiserBackend
{
    /// <inheritdoc/>
    public string Name => inner.Name;

    /// <inheritdoc/>
    public string ExecutionProvider => inner.ExecutionProvider;

    /// <inheritdoc/>
    public ModelManifest Manifest => inner.Manifest;

    /// <inheritdoc/>
    public IDenoiserBatch Begin(ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> conditions) =>
        new Batch(inner.Begin(latents, timesteps, conditions));

    /// <summary>Leaves the wrapped backend to its owner.</summary>
    public void Dispose()
    {
    }

    private sealed class Batch(IDenoiserBatch inner) : IDenoiserBatch
    {
        public int Count => inner.Count;

        public int LayersRun => inner.LayersRun;

        public void RunLayer() => inner.RunLayer();

        public void Certainty(Span<float> destination) => inner.Certainty(destination);

        public void Predict(ReadOnlySpan<int> rows, Span<float> destination) => inner.Predict(rows, destination);

        public void Keep(ReadOnlySpan<int> rows) => inner.Keep(rows);

        public void Dispose() => inner.Dispose();
    }
}
