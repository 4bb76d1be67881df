using AdaDiff.Engine;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>
/// A backend seen through the per-stage seam only: its batches forward RunLayer, Certainty, Predict and Keep, and
/// leave RunLayers, RunLayerWithCertainty and PredictAtDepth to the interface's looping defaults, so every pass runs
/// one stage a call. The reference the fused paths must match bit for bit.
/// </summary>
internal sealed class StagewiseBackend(IDenoiserBackend inner) : IDenoiserBackend
{
    public string Name => inner.Name;

    public string ExecutionProvider => inner.ExecutionProvider;

    public ModelManifest Manifest => inner.Manifest;

    public IDenoiserBatch Begin(ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> classLabels) =>
        new Batch(inner.Begin(latents, timesteps, classLabels));

    public void Dispose()
    {
        // The fixture owns the wrapped backend.
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
