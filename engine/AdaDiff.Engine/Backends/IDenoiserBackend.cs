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
    /// <param name="conditions">
    /// Each row's condition, [rows, <see cref="ModelManifest.ConditionWidth"/>] flattened: a class model's class label
    /// (<see cref="ModelManifest.NullClass"/> for unconditional rows), a text model's prompt token ids
    /// (<see cref="TextConditioning.MaxTokens"/> a row, 0 = padding; all padding for unconditional rows).
    /// </param>
    IDenoiserBatch Begin(ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> conditions);

    /// <summary>
    /// The shared head's noise prediction after the first <paramref name="layers"/> layers for every row, in one
    /// call where the backend can: embed → layers 1..<paramref name="layers"/> (long skips included) → head, with no
    /// certainty and no batch left behind. For a pass where no row can leave earlier (every row FULL_DEPTH, or
    /// every row FIXED_DEPTH at the same depth). Each row's values are bit for bit those of
    /// <see cref="Begin"/> → <see cref="IDenoiserBatch.RunLayers"/>(<paramref name="layers"/>) → <see cref="IDenoiserBatch.Predict"/>,
    /// which is what a backend without a fused path runs.
    /// </summary>
    /// <param name="latents">x_t, [rows, C, H, W] flattened row-major.</param>
    /// <param name="timesteps">Diffusion timestep of each row, [rows].</param>
    /// <param name="conditions">Each row's condition, [rows, <see cref="ModelManifest.ConditionWidth"/>] (as for <see cref="Begin"/>).</param>
    /// <param name="layers">Depth of the exit, 1..<see cref="ModelManifest.Depth"/>.</param>
    /// <param name="destination">ε̂ of every row, [rows, C, H, W] flattened.</param>
    void PredictAtDepth(ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> conditions, int layers, Span<float> destination)
    {
        int rows = BatchInput.ValidatePredictAtDepth(Manifest, latents, timesteps, conditions, layers, destination);
        using IDenoiserBatch batch = Begin(latents, timesteps, conditions);
        batch.RunLayers(layers);
        int[] all = new int[rows]; // 4 bytes a row, on the looping path only
        for (int i = 0; i < rows; i++)
        {
            all[i] = i;
        }
        batch.Predict(all, destination);
    }
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
    /// Runs the next <paramref name="layers"/> layers (indexes <see cref="LayersRun"/> .. LayersRun + layers − 1) on
    /// every row, in one call where the backend can, with no certainty in between; long skips pushed and popped
    /// inside the range stay inside it. The hidden state [Count, T, D] and the skip stack afterwards, and so every
    /// later result, are bit for bit those of calling <see cref="RunLayer"/> <paramref name="layers"/> times, which is
    /// what a backend without a fused path does.
    /// </summary>
    /// <param name="layers">1 .. depth − <see cref="LayersRun"/>.</param>
    void RunLayers(int layers)
    {
        for (int i = 0; i < layers; i++)
        {
            RunLayer();
        }
    }

    /// <summary>
    /// Runs the next layer and writes each row's certainty at it, in one call where the backend can: bit for bit
    /// <see cref="RunLayer"/> then <see cref="Certainty"/>. <paramref name="destination"/> has <see cref="Count"/> elements ([Count]).
    /// </summary>
    void RunLayerWithCertainty(Span<float> destination)
    {
        if (destination.Length != Count)
        {
            throw new ArgumentException($"destination has {destination.Length} elements, expected {Count}", nameof(destination));
        }
        RunLayer();
        Certainty(destination);
    }

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
