using SkiaSharp;

namespace AdaDiff.Server.Internal;

/// <summary>
/// Encodes images in [-1, 1] (planar [C, H, W] floats) as 8-bit PNGs through SkiaSharp: grayscale (colour type 0) for
/// 1 channel, RGB (colour type 2) for 3.
/// </summary>
internal static class PngCodec
{
    /// <summary>Throws a clear error at load time for channel counts a PNG cannot carry here.</summary>
    public static void EnsureSupported(int channels, string model)
    {
        if (channels is not (1 or 3))
        {
            throw new NotSupportedException($"Model '{model}' has {channels} channels; the server encodes PNGs of 1 (grayscale) or 3 (RGB) channels only.");
        }
    }

    /// <summary>Maps [-1, 1] to 0..255 with rounding; NaN maps to 0.</summary>
    public static byte ToByte(float x)
    {
        float v = (x + 1f) * 127.5f;
        return v >= 255f ? (byte)255 : v > 0f ? (byte)(v + 0.5f) : (byte)0;
    }

    /// <summary>Encodes image <paramref name="index"/> of a [N, C, H, W] batch.</summary>
    public static byte[] Encode(ReadOnlySpan<float> batch, int index, int channels, int height, int width)
    {
        EnsureSupported(channels, "?");
        int plane = height * width;
        ReadOnlySpan<float> image = batch.Slice(index * channels * plane, channels * plane); // [C, H, W]
        // Gray8 is one byte a pixel; Rgb888x four (R, G, B, unused), which the PNG encoder writes as RGB without alpha.
        SKColorType type = channels == 1 ? SKColorType.Gray8 : SKColorType.Rgb888x;
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, type, SKAlphaType.Opaque));
        Span<byte> pixels = bitmap.GetPixelSpan(); // [H, W] or [H, W, 4], rows packed (RowBytes = width × bytes a pixel)
        if (channels == 1)
        {
            for (int i = 0; i < plane; i++)
            {
                pixels[i] = ToByte(image[i]);
            }
        }
        else
        {
            for (int i = 0; i < plane; i++)
            {
                pixels[4 * i] = ToByte(image[i]);
                pixels[(4 * i) + 1] = ToByte(image[plane + i]);
                pixels[(4 * i) + 2] = ToByte(image[(2 * plane) + i]);
                pixels[(4 * i) + 3] = 255;
            }
        }
        using SKPixmap pixmap = bitmap.PeekPixels();
        using SKData png = pixmap.Encode(SKPngEncoderOptions.Default)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode a {width}×{height} {type} PNG.");
        return png.ToArray();
    }
}
