using AdaDiff.Engine.Backends;

namespace AdaDiff.Engine.Tests;

/// <summary>
/// The real backend with instruments: counts rows per layer and Certainty calls, and runs a callback after
/// a given layer (to cancel a job mid-pass). Every call goes to the wrapped backend.
/// </summary>
internal sealed class InstrumentedBackend(IDenoiserBackend inner) : IDenoiserBackend
{
    public List<int> RowsPerLayer { get; } = [];

    public int CertaintyCalls { get; private set; }

    public int Passes { get; private set; }

    public int AfterLayer { get; set; } = -1;

    public Action? OnAfterLayer { get; set; }

    public string Name => inner.Name;

    public string ExecutionProvider => inner.ExecutionProvider;

    public ModelManifest Manifest => inner.Manifest;

    public IDenoiserBatch Begin(ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> classLabels)
    {
        Passes++;
        return new Batch(this, inner.Begin(latents, timesteps, classLabels));
    }

    public void Dispose() => inner.Dispose();

    private sealed class Batch(InstrumentedBackend owner, IDenoiserBatch inner) : IDenoiserBatch
    {
        public int Count => inner.Count;

        public int LayersRun => inner.LayersRun;

        public void RunLayer()
        {
            owner.RowsPerLayer.Add(inner.Count);
            inner.RunLayer();
            if (inner.LayersRun == owner.AfterLayer)
            {
                owner.OnAfterLayer?.Invoke();
            }
        }

        public void Certainty(Span<float> destination)
        {
            owner.CertaintyCalls++;
            inner.Certainty(destination);
        }

        public void Predict(ReadOnlySpan<int> rows, Span<float> destination) => inner.Predict(rows, destination);

        public void Keep(ReadOnlySpan<int> rows) => inner.Keep(rows);

        public void Dispose() => inner.Dispose();
    }
}
