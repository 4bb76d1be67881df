using AdaDiff.Engine.Backends;

namespace AdaDiff.Engine.Tests;

/// <summary>
/// The real backend with instruments: counts rows per layer and certainty evaluations, logs every backend call, records the class labels of
/// every pass, runs a callback after a given layer (to cancel a job mid-pass), and can hold the scheduler's worker
/// at the start of a pass until the test releases it, so that a test decides what is in flight when, on a fast
/// machine and a loaded one alike. Every call goes to the wrapped backend.
/// </summary>
internal sealed class InstrumentedBackend(IDenoiserBackend inner) : IDenoiserBackend
{
    private readonly Lock holdLock = new();
    private int holdAt = -1;
    private PassHold? holdAtPass;
    private PassHold? holdNext;

    public List<int> RowsPerLayer { get; } = [];

    /// <summary>The class label of every row of every pass, in pass order (written by the worker).</summary>
    public List<int[]> LabelsPerPass { get; } = [];

    /// <summary>Layers at which certainties were evaluated (by Certainty or RunLayerWithCertainty).</summary>
    public int CertaintyCalls { get; private set; }

    /// <summary>Every call a pass made, in order: "Begin(rows)", "RunLayer", "RunLayers(n)", "RunLayerWithCertainty", "Certainty", "Predict(rows)", "Keep(rows)", "PredictAtDepth(rows, layers)".</summary>
    public List<string> Calls { get; } = [];

    public int Passes { get; private set; }

    public int AfterLayer { get; set; } = -1;

    public Action? OnAfterLayer { get; set; }

    /// <summary>When set, a pass with a row of this class label fails in Begin (a backend that cannot run one job's rows).</summary>
    public int? FailOnLabel { get; set; }

    public string Name => inner.Name;

    public string ExecutionProvider => inner.ExecutionProvider;

    public ModelManifest Manifest => inner.Manifest;

    /// <summary>Holds the worker when pass <paramref name="pass"/> (0-based) begins, until the hold is released.</summary>
    public PassHold HoldAt(int pass)
    {
        lock (holdLock)
        {
            holdAt = pass;
            return holdAtPass = new PassHold();
        }
    }

    /// <summary>Holds the worker when the next pass begins (after the one running now, if any).</summary>
    public PassHold HoldNext()
    {
        lock (holdLock)
        {
            return holdNext = new PassHold();
        }
    }

    public IDenoiserBatch Begin(ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> classLabels)
    {
        StartPass(classLabels);
        Calls.Add($"Begin({timesteps.Length})");
        return new Batch(this, inner.Begin(latents, timesteps, classLabels));
    }

    public void PredictAtDepth(ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> classLabels, int layers, Span<float> destination)
    {
        StartPass(classLabels);
        Calls.Add($"PredictAtDepth({timesteps.Length}, {layers})");
        inner.PredictAtDepth(latents, timesteps, classLabels, layers, destination);
        for (int layer = 1; layer <= layers; layer++)
        {
            RowsPerLayer.Add(timesteps.Length);
        }
        if (AfterLayer >= 1 && AfterLayer <= layers)
        {
            OnAfterLayer?.Invoke();
        }
    }

    public void Dispose() => inner.Dispose();

    /// <summary>A pass begins (Begin or PredictAtDepth): count it, record its labels, hold or fail it as the test asked.</summary>
    private void StartPass(ReadOnlySpan<int> classLabels)
    {
        PassHold? hold;
        lock (holdLock)
        {
            int index = Passes++;
            LabelsPerPass.Add(classLabels.ToArray());
            hold = index == holdAt ? holdAtPass : holdNext;
            if (hold == holdNext)
            {
                holdNext = null;
            }
        }
        hold?.Hold();
        if (FailOnLabel is { } poison && classLabels.Contains(poison))
        {
            throw new InvalidOperationException($"the backend rejects rows of class {poison}");
        }
    }

    /// <summary>One hold of the worker: <see cref="Reached"/> tells the test it is held, <see cref="Release"/> lets it go.</summary>
    internal sealed class PassHold
    {
        // A bound, so that a test that fails before releasing does not hang the run: its own assertion reports.
        private static readonly TimeSpan MaxHold = TimeSpan.FromSeconds(60);
        private readonly TaskCompletionSource reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ManualResetEventSlim released = new(false);

        /// <summary>Completes when the worker is held.</summary>
        public Task Reached => reached.Task;

        public void Release() => released.Set();

        internal void Hold()
        {
            reached.TrySetResult();
            released.Wait(MaxHold);
        }
    }

    private sealed class Batch(InstrumentedBackend owner, IDenoiserBatch inner) : IDenoiserBatch
    {
        public int Count => inner.Count;

        public int LayersRun => inner.LayersRun;

        public void RunLayer()
        {
            owner.Calls.Add("RunLayer");
            Ran(1, () => inner.RunLayer());
        }

        public void RunLayers(int layers)
        {
            owner.Calls.Add($"RunLayers({layers})");
            Ran(layers, () => inner.RunLayers(layers));
        }

        public void RunLayerWithCertainty(Span<float> destination)
        {
            owner.Calls.Add("RunLayerWithCertainty");
            owner.CertaintyCalls++;
            float[] certainty = new float[destination.Length];
            Ran(1, () => inner.RunLayerWithCertainty(certainty));
            certainty.CopyTo(destination);
        }

        public void Certainty(Span<float> destination)
        {
            owner.Calls.Add("Certainty");
            owner.CertaintyCalls++;
            inner.Certainty(destination);
        }

        public void Predict(ReadOnlySpan<int> rows, Span<float> destination)
        {
            owner.Calls.Add($"Predict({rows.Length})");
            inner.Predict(rows, destination);
        }

        public void Keep(ReadOnlySpan<int> rows)
        {
            owner.Calls.Add($"Keep({rows.Length})");
            inner.Keep(rows);
        }

        public void Dispose() => inner.Dispose();

        /// <summary>Counts the rows of <paramref name="layers"/> layers, runs them, then the callback if the call ran its layer.</summary>
        private void Ran(int layers, Action run)
        {
            int before = inner.LayersRun;
            for (int i = 0; i < layers; i++)
            {
                owner.RowsPerLayer.Add(inner.Count);
            }
            run();
            if (owner.AfterLayer > before && owner.AfterLayer <= inner.LayersRun)
            {
                owner.OnAfterLayer?.Invoke();
            }
        }
    }
}
