namespace AdaDiff.Engine.Backends;

/// <summary>
/// Runs one throw-away pass through every stage of a backend, so that one-time costs (lazy native
/// initialisation, thread-pool start, allocator growth, graph optimisation) are paid at load and not by
/// the first caller. Before this, the first request's first step took about 0.5 s on the default model.
/// </summary>
public static class BackendWarmup
{
    /// <summary>
    /// With <paramref name="rows"/> zero latents at the middle timestep: the calls an adaptive pass at the model's
    /// default min_layers makes (embed and the layers before it in one call, then each layer with its certainty,
    /// predict, compact), the whole network in one call, and every stage on its own (the per-stage path).
    /// </summary>
    public static void Run(IDenoiserBackend backend, int rows = 2)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ModelManifest manifest = backend.Manifest;
        float[] latents = new float[rows * manifest.ImageSize];       // [rows, C, H, W], zeros
        float[] timesteps = new float[rows];
        Array.Fill(timesteps, manifest.NoiseSchedule.Timesteps / 2f);
        int[] labels = new int[rows * manifest.ConditionWidth]; // unconditional rows: the null class, or a prompt of padding only (0)
        if (manifest.Conditioning == ConditioningKind.Class)
        {
            Array.Fill(labels, manifest.NullClass);
        }
        float[] certainty = new float[rows];
        float[] prediction = new float[rows * manifest.ImageSize];
        int[] first = [0];

        using (IDenoiserBatch batch = backend.Begin(latents, timesteps, labels))
        {
            int prefix = Math.Clamp(manifest.DefaultMinLayers - 1, 0, manifest.Depth - 1);
            if (prefix > 0)
            {
                batch.RunLayers(prefix);
            }
            while (batch.LayersRun < manifest.Depth)
            {
                batch.RunLayerWithCertainty(certainty.AsSpan(0, batch.Count));
            }
            batch.Predict(first, prediction.AsSpan(0, manifest.ImageSize));
            batch.Keep(first);
        }
        backend.PredictAtDepth(latents, timesteps, labels, manifest.Depth, prediction);

        using (IDenoiserBatch batch = backend.Begin(latents, timesteps, labels))
        {
            for (int layer = 0; layer < manifest.Depth; layer++)
            {
                batch.RunLayer();
                batch.Certainty(certainty.AsSpan(0, batch.Count));
            }
            batch.Predict(first, prediction.AsSpan(0, manifest.ImageSize));
            batch.Keep(first);
        }
    }
}
