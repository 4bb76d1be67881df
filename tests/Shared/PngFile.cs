using System.Buffers.Binary;
using SkiaSharp;

namespace AdaDiff.Tests.Shared;

/// <summary>
/// A PNG read back as the tests check it: the header fields (size, bit depth, colour type: 0 grayscale, 2 RGB) from its
/// IHDR chunk and every pixel decoded through SkiaSharp as 8-bit RGBA, so that a truncated or corrupt file fails.
/// </summary>
/// <param name="Width">Pixels, from IHDR.</param>
/// <param name="Height">Pixels, from IHDR.</param>
/// <param name="BitDepth">Bits a sample, from IHDR.</param>
/// <param name="ColorType">PNG colour type from IHDR: 0 grayscale, 2 RGB, 4 grayscale + alpha, 6 RGBA.</param>
/// <param name="Rgba">[H, W, 4] bytes.</param>
internal sealed record PngFile(int Width, int Height, int BitDepth, int ColorType, byte[] Rgba)
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The grey level of pixel (x, y) (its red sample; R = G = B in a grayscale PNG).</summary>
    public byte Gray(int x, int y) => Rgba[((y * Width) + x) * 4];

    /// <summary>(R, G, B) of pixel (x, y).</summary>
    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            int o = ((y * Width) + x) * 4;
            return (Rgba[o], Rgba[o + 1], Rgba[o + 2]);
        }
    }

    public static PngFile Read(string path) => Read(File.ReadAllBytes(path));

    /// <summary>Reads the header and decodes every pixel; <see cref="InvalidDataException"/> if that fails.</summary>
    public static PngFile Read(byte[] png)
    {
        if (png.Length < 33 || !png.AsSpan(0, 8).SequenceEqual(Signature) || !png.AsSpan(12, 4).SequenceEqual("IHDR"u8))
        {
            throw new InvalidDataException($"not a PNG starting with IHDR ({png.Length} bytes)");
        }
        int width = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), height = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20));
        using var stream = new SKMemoryStream(png);
        using SKCodec codec = SKCodec.Create(stream, out SKCodecResult opened)
            ?? throw new InvalidDataException($"SkiaSharp cannot open the PNG: {opened}");
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        SKCodecResult decoded = codec.GetPixels(info, bitmap.GetPixels());
        if (decoded != SKCodecResult.Success)
        {
            throw new InvalidDataException($"SkiaSharp cannot decode the PNG's pixels: {decoded}");
        }
        return new PngFile(width, height, png[24], png[25], bitmap.GetPixelSpan().ToArray());
    }
}
