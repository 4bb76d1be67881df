namespace AdaDiff.Engine.Backends;

/// <summary>
/// The contract of <see cref="IDenoiserBackend.Begin"/>'s arguments, checked the same way by every backend
/// (the conformance suite asserts that both backends reject the same inputs with the same messages).
/// </summary>
public static class BatchInput
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the argument unless the three spans describe one batch for <paramref name="manifest"/>.</summary>
    /// <returns>The number of rows.</returns>
    public static int Validate(ModelManifest manifest, ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> classLabels)
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
        if (classLabels.Length != rows)
        {
            throw new ArgumentException($"classLabels has {classLabels.Length} values, expected {rows}", nameof(classLabels));
        }
        foreach (int label in classLabels)
        {
            if (label < 0 || label > manifest.NullClass)
            {
                throw new ArgumentOutOfRangeException(nameof(classLabels), label, $"class labels must be in 0..{manifest.NullClass} ({manifest.NullClass} = unconditional)");
            }
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
}
