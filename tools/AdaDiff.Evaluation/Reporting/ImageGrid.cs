using System.Globalization;
using SkiaSharp;

namespace AdaDiff.Evaluation.Reporting;

/// <summary>Grids of generated grey images, drawn with SkiaSharp (a plot library has nothing to add to a grid of pixels).</summary>
internal static class ImageGrid
{
    private const int Scale = 2;
    private const int Gap = 2;
    private const int LabelWidth = 24;
    private static readonly SKColor Background = new(40, 40, 40);

    /// <summary>
    /// Rows of grey images (one row per entry of <paramref name="rows"/>, each a list of image indices into
    /// <paramref name="images"/> [N, H, W] in [-1, 1]), each pixel a 2×2 block, 2-pixel gaps; rows labelled with
    /// their index when <paramref name="labelRows"/>.
    /// </summary>
    public static void Write(string path, ReadOnlySpan<float> images, int imageHeight, int imageWidth, IReadOnlyList<int[]> rows, bool labelRows)
    {
        int left = labelRows ? LabelWidth : Gap;
        int columns = rows.Count == 0 ? 0 : rows.Max(r => r.Length);
        int width = Math.Max(left + (columns * ((imageWidth * Scale) + Gap)), 1);
        int height = Math.Max(Gap + (rows.Count * ((imageHeight * Scale) + Gap)), 1);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(Background);
        Span<byte> pixels = bitmap.GetPixelSpan(); // RGBA, row-major
        int size = imageHeight * imageWidth;
        for (int r = 0; r < rows.Count; r++)
        {
            int y = Gap + (r * ((imageHeight * Scale) + Gap));
            for (int c = 0; c < rows[r].Length; c++)
            {
                int x = left + (c * ((imageWidth * Scale) + Gap));
                Grey(pixels, width, x, y, images.Slice(rows[r][c] * size, size), imageHeight, imageWidth);
            }
        }
        if (labelRows)
        {
            using var canvas = new SKCanvas(bitmap);
            using var font = new SKFont(PlotFont.Typeface, 14);
            using var paint = new SKPaint { Color = SKColors.White, IsAntialias = true };
            for (int r = 0; r < rows.Count; r++)
            {
                float middle = Gap + (r * ((imageHeight * Scale) + Gap)) + (imageHeight * Scale / 2f);
                canvas.DrawText(r.ToString(CultureInfo.InvariantCulture), LabelWidth / 2f, middle + 5, SKTextAlign.Center, font, paint);
            }
        }
        using SKImage image = SKImage.FromBitmap(bitmap);
        using SKData png = image.Encode(SKEncodedImageFormat.Png, 100);
        using FileStream file = File.Create(path);
        png.SaveTo(file);
    }

    /// <summary>
    /// Rows of grey images as <see cref="Write"/> draws them, each row headed by its text (<paramref name="rowLabels"/>,
    /// e.g. the prompt) and each image captioned underneath (<paramref name="cellLabels"/>[row][column], e.g. its mean
    /// exit depth).
    /// </summary>
    public static void WriteLabelled(
        string path, ReadOnlySpan<float> images, int imageHeight, int imageWidth, IReadOnlyList<int[]> rows, IReadOnlyList<string> rowLabels, IReadOnlyList<string[]> cellLabels)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(rowLabels);
        ArgumentNullException.ThrowIfNull(cellLabels);
        if (rowLabels.Count != rows.Count || cellLabels.Count != rows.Count)
        {
            throw new ArgumentException($"{rows.Count} rows with {rowLabels.Count} row labels and {cellLabels.Count} rows of captions");
        }
        const int captionHeight = 14, labelGap = 8, columnGap = 10; // a caption ("12.5 ✓") is wider than the 56-pixel image
        using var font = new SKFont(PlotFont.Typeface, 12);
        using var paint = new SKPaint { Color = SKColors.White, IsAntialias = true };
        float labelWidth = rowLabels.Count == 0 ? 0 : rowLabels.Max(label => font.MeasureText(label));
        int left = (int)MathF.Ceiling(labelWidth) + (2 * labelGap);
        int cellWidth = (imageWidth * Scale) + columnGap, cellHeight = (imageHeight * Scale) + captionHeight + Gap;
        int columns = rows.Count == 0 ? 0 : rows.Max(r => r.Length);
        int width = Math.Max(left + (columns * cellWidth), 1);
        int height = Math.Max(Gap + (rows.Count * cellHeight), 1);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(Background);
        Span<byte> pixels = bitmap.GetPixelSpan(); // RGBA, row-major
        int size = imageHeight * imageWidth;
        for (int r = 0; r < rows.Count; r++)
        {
            int y = Gap + (r * cellHeight);
            for (int c = 0; c < rows[r].Length; c++)
            {
                Grey(pixels, width, left + (c * cellWidth), y, images.Slice(rows[r][c] * size, size), imageHeight, imageWidth);
            }
        }
        using (var canvas = new SKCanvas(bitmap))
        {
            for (int r = 0; r < rows.Count; r++)
            {
                int y = Gap + (r * cellHeight);
                canvas.DrawText(rowLabels[r], labelGap, y + (imageHeight * Scale / 2f) + 4, SKTextAlign.Left, font, paint);
                for (int c = 0; c < Math.Min(rows[r].Length, cellLabels[r].Length); c++)
                {
                    float middle = left + (c * cellWidth) + (imageWidth * Scale / 2f);
                    canvas.DrawText(cellLabels[r][c], middle, y + (imageHeight * Scale) + captionHeight - 2, SKTextAlign.Center, font, paint);
                }
            }
        }
        using SKImage image = SKImage.FromBitmap(bitmap);
        using SKData png = image.Encode(SKEncodedImageFormat.Png, 100);
        using FileStream file = File.Create(path);
        png.SaveTo(file);
    }

    /// <summary>A pixel in [-1, 1] as a grey level.</summary>
    public static byte ToByte(float x)
    {
        float v = (x + 1f) * 127.5f;
        return v >= 255f ? (byte)255 : v > 0f ? (byte)(v + 0.5f) : (byte)0;
    }

    private static void Grey(Span<byte> pixels, int stride, int x, int y, ReadOnlySpan<float> image, int height, int width)
    {
        for (int r = 0; r < height * Scale; r++)
        {
            Span<byte> row = pixels.Slice((((y + r) * stride) + x) * 4, width * Scale * 4);
            for (int c = 0; c < width * Scale; c++)
            {
                byte v = ToByte(image[((r / Scale) * width) + (c / Scale)]);
                row[(c * 4) + 0] = v;
                row[(c * 4) + 1] = v;
                row[(c * 4) + 2] = v;
                row[(c * 4) + 3] = 255;
            }
        }
    }
}
