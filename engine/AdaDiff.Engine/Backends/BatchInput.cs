namespace AdaDiff.Engine.Backends;

/// <summary>
/// The contract of <see cref="IDenoiserBackend.Begin"/>'s arguments, checked the same way by every backend
/// (the conformance suite asserts that both backends reject the same inputs with the same messages).
/// </summary>
public static class BatchInput
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the argument unless the three spans describe one batch for
    /// <paramref name="manifest"/>: <paramref name="conditions"/> holds <see cref="ModelManifest.ConditionWidth"/> ints a
    /// row, class labels in 0..<see cref="ModelManifest.NullClass"/> for a class model, token ids in
    /// 0..vocabularySize − 1 for a text model.
    /// </summary>
    /// <returns>The number of rows.</returns>
    public static int Validate(ModelManifest manifest, ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> conditions)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        int rows = timesteps.Length;
        if (rows == 0)
        {
            throw new ArgumentException("a batch needs at least one row", nameof(timesteps));
        }
        if (latents.Length != rows * manifest.ImageSize)
        {
            throw new ArgumentException($"latents has {latents.Length} values, expected {rows} rows × {manifest.ImageSize}", nameof(latents));
        }
        if (manifest.Conditioning == ConditioningKind.Text)
        {
            ValidateTokens(manifest.Text!, rows, conditions);
        }
        else
        {
            ValidateLabels(manifest, rows, conditions);
        }
        foreach (float t in timesteps)
        {
            if (!float.IsFinite(t))
            {
                throw new ArgumentOutOfRangeException(nameof(timesteps), t, "timesteps must be finite");
            }
        }
        return rows;
    }

    private static void ValidateLabels(ModelManifest manifest, int rows, ReadOnlySpan<int> conditions)
    {
        if (conditions.Length != rows)
        {
            throw new ArgumentException($"class labels: {conditions.Length} values, expected {rows} (one a row)", nameof(conditions));
        }
        foreach (int label in conditions)
        {
            if (label < 0 || label > manifest.NullClass)
            {
                throw new ArgumentOutOfRangeException(nameof(conditions), label, $"class labels must be in 0..{manifest.NullClass} ({manifest.NullClass} = unconditional)");
            }
        }
    }

    private static void ValidateTokens(TextConditioning text, int rows, ReadOnlySpan<int> conditions)
    {
        if (conditions.Length != rows * text.MaxTokens)
        {
            throw new ArgumentException($"prompt tokens: {conditions.Length} values, expected {rows} rows × {text.MaxTokens}", nameof(conditions));
        }
        foreach (int id in conditions)
        {
            if ((uint)id >= (uint)text.VocabularySize)
            {
                throw new ArgumentOutOfRangeException(nameof(conditions), id, $"token ids must be in 0..{text.VocabularySize - 1} (0 = padding; a row of padding only is unconditional)");
            }
        }
    }

    /// <summary>
    /// The contract of a batch's row arguments (<c>Head</c>, <c>Keep</c>), checked the same way by every backend:
    /// each row in 0..<paramref name="count"/>−1, strictly ascending where <paramref name="ascending"/>.
    /// </summary>
    /// <returns>True when the rows are exactly 0..count−1 (the whole batch in order), so a backend may skip a gather.</returns>
    public static bool ValidateRows(ReadOnlySpan<int> rows, int count, bool ascending)
    {
        bool identity = rows.Length == count;
        for (int i = 0; i < rows.Length; i++)
        {
            int row = rows[i];
            if ((uint)row >= (uint)count)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), row, $"row {row} is not in 0..{count - 1}");
            }
            if (ascending && i > 0 && row <= rows[i - 1])
            {
                throw new ArgumentException("rows must be strictly ascending", nameof(rows));
            }
            identity &= row == i;
        }
        return identity;
    }

    /// <summary>
    /// The contract of <c>RunLayers</c> and <c>PredictAtDepth</c>, checked the same way by every backend: after
    /// <paramref name="layersRun"/> layers, <paramref name="layers"/> more must be at least 1 and reach at most <paramref name="depth"/>.
    /// </summary>
    public static void ValidateDepth(int layers, int layersRun, int depth)
    {
        if (layers < 1 || layers > depth - layersRun)
        {
            throw new ArgumentOutOfRangeException(nameof(layers), layers, $"after {layersRun} layers, 1..{depth - layersRun} more can run");
        }
    }

    /// <summary>
    /// The checks of <c>PredictAtDepth</c>, the same for every backend: the inputs as for <c>Begin</c>
    /// (<see cref="Validate"/>), 1..depth layers (<see cref="ValidateDepth"/>) and one image a row in
    /// <paramref name="destination"/> (<see cref="ValidateDestination"/>); returns the number of rows.
    /// </summary>
    public static int ValidatePredictAtDepth(ModelManifest manifest, ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> conditions, int layers, ReadOnlySpan<float> destination)
    {
        int rows = Validate(manifest, latents, timesteps, conditions);
        ValidateDepth(layers, 0, manifest.Depth);
        ValidateDestination(destination, rows, manifest.ImageSize);
        return rows;
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="destination"/> holds <paramref name="rows"/> images of <paramref name="imageSize"/> floats.</summary>
    public static void ValidateDestination(ReadOnlySpan<float> destination, int rows, int imageSize)
    {
        if (destination.Length != rows * imageSize)
        {
            throw new ArgumentException($"destination has {destination.Length} elements, expected {rows} rows × {imageSize}", nameof(destination));
        }
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> unless a layer has run (the UEM and the head read its hidden state).</summary>
    public static void RequireLayerRun(int layersRun)
    {
        if (layersRun == 0)
        {
            throw new InvalidOperationException("run at least one layer first");
        }
    }
}
