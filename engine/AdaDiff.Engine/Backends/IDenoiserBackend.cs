namespace AdaDiff.Engine.Backends;

/// <summary>
/// Executes the stages of one loaded model. A backend knows tensors and nothing about exit policy:
/// the engine drives the layer loop through <see cref="IDenoiserBatch"/>.
/// </summary>
public interface IDenoiserBackend : IDisposable
{
    /// <summary>Short backend name for labels and ModelInfo ("torchsharp", "onnxruntime").</summary>
    string Name { get; }

    /// <summary>Execution provider ("cpu", "cuda").</summary>
    string ExecutionProvider { get; }

    /// <summary>The model this backend runs.</summary>
    ModelManifest Manifest { get; }

    /// <summary>
    /// Embeds a batch and returns the handle that runs its layers. The batch owns its tensors until disposed.
    /// </summary>
    /// <param name="latents">x_t, [rows, C, H, W] flattened row-major.</param>
    /// <param name="timesteps">Diffusion timestep of each row, [rows], in 0..T-1 (may be fractional).</param>
    /// <param name="classLabels">Class of each row, [rows]; <see cref="ModelManifest.NullClass"/> for unconditional rows.</param>
    IDenoiserBatch Begin(ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> classLabels);
}

/// <summary>
/// One batch moving through the network, layer by layer. Rows are numbered 0..Count-1 in the order
/// given to <see cref="IDenoiserBackend.Begin"/>, renumbered by every <see cref="Keep"/>.
/// </summary>
public interface IDenoiserBatch : IDisposable
{
    /// <summary>Rows still in the batch.</summary>
    int Count { get; }

    /// <summary>Layers run so far (0 after Begin; the depth after the last layer).</summary>
    int LayersRun { get; }

    /// <summary>Runs the next layer (index <see cref="LayersRun"/>) on every row, long skips included.</summary>
    void RunLayer();

    /// <summary>
    /// Certainty of each row at the last layer run: the timestep-aware UEM's per-pixel certainty
    /// averaged over pixels, in [0, 1]. <paramref name="destination"/> has <see cref="Count"/> elements.
    /// </summary>
    void Certainty(Span<float> destination);

    /// <summary>
    /// Noise prediction of the shared output head at the last layer run for the given rows:
    /// [rows.Length, C, H, W] flattened into <paramref name="destination"/>.
    /// </summary>
    void Predict(ReadOnlySpan<int> rows, Span<float> destination);

    /// <summary>Keeps only the given rows (ascending), in that order; dropped rows' skips are freed.</summary>
    void Keep(ReadOnlySpan<int> rows);
}
