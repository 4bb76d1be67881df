using System.Buffers;

namespace AdaDiff.Captions;

/// <summary>
/// Attributes measured on one grey image, the same way on training images (to caption them) and on generated
/// images (to score them against their prompts). Intensities are in [0, 1], 0 the black background and 1 full ink,
/// as Fashion-MNIST stores them (bytes 0..255 over 255); the model's [-1, 1] output goes through
/// <see cref="MeasureModelOutput"/>.
/// </summary>
/// <remarks>
/// <para>The garment is its <em>ink</em>: the pixels brighter than <see cref="InkLevel"/>.</para>
/// <list type="bullet">
/// <item><see cref="Brightness"/>: the mean intensity of the ink pixels (how light the garment is, not how much of it there is).</item>
/// <item><see cref="Coverage"/>: ink pixels over all pixels, the fraction of the frame the garment covers.</item>
/// <item><see cref="Aspect"/>: width over height of the ink's bounding box (rows and columns that hold any ink).</item>
/// <item><see cref="Texture"/>: the mean absolute 4-neighbour Laplacian |4v − v_up − v_down − v_left − v_right| over
/// the garment's inside (ink pixels whose four neighbours are ink inside the frame), so that the garment's outline
/// does not count, only detail within it: prints, stripes, folds, buttons.</item>
/// </list>
/// <para>
/// An image without ink has brightness, coverage and texture 0 and aspect 1: it reads as a dark, small, square,
/// plain nothing. An inside without pixels (a garment of thin straps) has texture 0.
/// </para>
/// </remarks>
/// <param name="Brightness">Mean ink intensity, in (<see cref="InkLevel"/>, 1]; 0 without ink.</param>
/// <param name="Coverage">Ink pixels over all pixels, [0, 1].</param>
/// <param name="Aspect">Bounding-box width over height, &gt; 0; 1 without ink.</param>
/// <param name="Texture">Mean absolute Laplacian over the inside, [0, 4]; 0 without an inside.</param>
/// <param name="InkPixels">Pixels above <see cref="InkLevel"/>.</param>
/// <param name="BoxWidth">Columns of the bounding box; 0 without ink.</param>
/// <param name="BoxHeight">Rows of the bounding box; 0 without ink.</param>
public readonly record struct ImageAttributes(
    double Brightness, double Coverage, double Aspect, double Texture, int InkPixels, int BoxWidth, int BoxHeight)
{
    /// <summary>
    /// Intensity above which a pixel is ink. Fashion-MNIST's background is 0 almost everywhere; 0.1 (bytes ≥ 26)
    /// keeps the faint edge of dark garments in the garment and leaves out the near-black haze a sampler leaves.
    /// </summary>
    public const double InkLevel = 0.1;

    // Images up to 64×64 measure from a stack buffer (32 KB of doubles); larger ones rent one.
    private const int StackPixels = 64 * 64;

    /// <summary>Measures an image of intensities in [0, 1], row-major; values outside are clamped, NaN counts as 0.</summary>
    public static ImageAttributes Measure(ReadOnlySpan<float> pixels, int width, int height) =>
        MeasureIntensities(pixels, width, height, UnitIntensity);

    /// <summary>Measures an image of bytes 0..255 (Fashion-MNIST's own form), row-major; intensity = byte / 255.</summary>
    public static ImageAttributes Measure(ReadOnlySpan<byte> pixels, int width, int height) =>
        MeasureIntensities(pixels, width, height, static b => b / 255.0);

    /// <summary>Measures a model output in [-1, 1] (the network's image space), mapped to (x + 1) / 2 and clamped.</summary>
    public static ImageAttributes MeasureModelOutput(ReadOnlySpan<float> pixels, int width, int height) =>
        MeasureIntensities(pixels, width, height, static v => UnitIntensity((v + 1f) * 0.5f));

    /// <summary>An intensity clamped to [0, 1]; NaN counts as 0.</summary>
    private static double UnitIntensity(float v) => v > 0f ? Math.Min(v, 1f) : 0.0;

    /// <summary>
    /// Checks the shape, turns every pixel into its intensity in [0, 1] with <paramref name="intensity"/> (into a
    /// stack buffer, or a rented one for large images) and measures those.
    /// </summary>
    private static ImageAttributes MeasureIntensities<T>(ReadOnlySpan<T> pixels, int width, int height, Func<T, double> intensity)
    {
        CheckShape(pixels.Length, width, height);
        double[]? rented = null;
        Span<double> values = pixels.Length <= StackPixels ? stackalloc double[pixels.Length] : (rented = ArrayPool<double>.Shared.Rent(pixels.Length));
        try
        {
            for (int i = 0; i < pixels.Length; i++)
            {
                values[i] = intensity(pixels[i]);
            }
            return MeasureCore(values[..pixels.Length], width, height);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<double>.Shared.Return(rented);
            }
        }
    }

    private static void CheckShape(int length, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (length != (long)width * height)
        {
            throw new ArgumentException($"{length} pixels for a {width}×{height} image ({(long)width * height} expected)", nameof(length));
        }
    }

    private static ImageAttributes MeasureCore(ReadOnlySpan<double> v, int width, int height)
    {
        int ink = 0;
        double inkSum = 0;
        int left = width, right = -1, top = height, bottom = -1;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double value = v[y * width + x];
                if (value > InkLevel)
                {
                    ink++;
                    inkSum += value;
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }
            }
        }
        if (ink == 0)
        {
            return new ImageAttributes(0, 0, 1, 0, 0, 0, 0);
        }
        int inside = 0;
        double laplacian = 0;
        for (int y = 1; y < height - 1; y++)
        {
            for (int x = 1; x < width - 1; x++)
            {
                int i = y * width + x;
                double c = v[i], up = v[i - width], down = v[i + width], l = v[i - 1], r = v[i + 1];
                if (c > InkLevel && up > InkLevel && down > InkLevel && l > InkLevel && r > InkLevel)
                {
                    inside++;
                    laplacian += Math.Abs(4 * c - up - down - l - r);
                }
            }
        }
        int boxWidth = right - left + 1, boxHeight = bottom - top + 1;
        return new ImageAttributes(
            Brightness: inkSum / ink,
            Coverage: (double)ink / v.Length,
            Aspect: (double)boxWidth / boxHeight,
            Texture: inside == 0 ? 0 : laplacian / inside,
            InkPixels: ink,
            BoxWidth: boxWidth,
            BoxHeight: boxHeight);
    }
}
