using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace AdaDiff.Server.Internal;

/// <summary>Encodes images in [-1, 1] (planar [C, H, W] floats) as 8-bit PNGs: grayscale for 1 channel, RGB for 3.</summary>
internal static class PngCodec
{
    private static readonly PngEncoder GrayEncoder = new() { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 };
    private static readonly PngEncoder RgbEncoder = new() { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 };

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
        int plane = height * width;
        ReadOnlySpan<float> image = batch.Slice(index * channels * plane, channels * plane);
        using var stream = new MemoryStream();
        if (channels == 1)
        {
            byte[] pixels = new byte[plane];
            for (int i = 0; i < plane; i++)
            {
                pixels[i] = ToByte(image[i]);
            }
            using Image<L8> png = Image.LoadPixelData<L8>(pixels, width, height);
            png.Save(stream, GrayEncoder);
        }
        else if (channels == 3)
        {
            byte[] pixels = new byte[plane * 3];
            for (int i = 0; i < plane; i++)
            {
                pixels[3 * i] = ToByte(image[i]);
                pixels[(3 * i) + 1] = ToByte(image[plane + i]);
                pixels[(3 * i) + 2] = ToByte(image[(2 * plane) + i]);
            }
            using Image<Rgb24> png = Image.LoadPixelData<Rgb24>(pixels, width, height);
            png.Save(stream, RgbEncoder);
        }
        else
        {
            EnsureSupported(channels, "?");
        }
        return stream.ToArray();
    }
}
