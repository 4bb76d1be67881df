using System.Globalization;
using SkiaSharp;

namespace AdaDiff.Client;

/// <summary>A decoded PNG (a preview or a final image) as 8-bit RGB pixels, row-major.</summary>
public sealed class PreviewImage
{
    /// <summary>
    /// The most pixels <see cref="Decode"/> accepts: 4096 × 4096 (64 MiB of RGBA while decoding), far above any model's
    /// images, so that a crafted header cannot make the client allocate gigabytes.
    /// </summary>
    public const long MaxPixels = 4096L * 4096L;

    private PreviewImage(int width, int height, byte[] rgb)
    {
        Width = width;
        Height = height;
        Rgb = rgb;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Width × Height × 3 bytes: R, G, B of each pixel, rows top to bottom (grayscale images have R = G = B).</summary>
    public byte[] Rgb { get; }

    /// <summary>The (R, G, B) of pixel (x, y).</summary>
    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            int o = ((y * Width) + x) * 3;
            return (Rgb[o], Rgb[o + 1], Rgb[o + 2]);
        }
    }

    /// <summary>
    /// Decodes PNG bytes through SkiaSharp; throws <see cref="InvalidDataException"/> naming what is wrong when they are
    /// not a PNG, are truncated or corrupt, or have more than <see cref="MaxPixels"/> pixels. Alpha, where present, is
    /// dropped (server images have none); no colour-space conversion is applied.
    /// </summary>
    public static PreviewImage Decode(ReadOnlySpan<byte> png)
    {
        if (png.IsEmpty)
        {
            throw new InvalidDataException("Not a PNG image: no bytes.");
        }
        using SKData data = SKData.CreateCopy(png);
        using var stream = new SKMemoryStream(data);
        using SKCodec? codec = SKCodec.Create(stream, out SKCodecResult opened);
        if (codec is null)
        {
            throw new InvalidDataException(opened == SKCodecResult.IncompleteInput
                ? string.Create(CultureInfo.InvariantCulture, $"Not a PNG image: its header is truncated or unreadable ({png.Length} bytes).")
                : string.Create(CultureInfo.InvariantCulture, $"Not a PNG image ({opened}; {png.Length} bytes)."));
        }
        if (codec.EncodedFormat != SKEncodedImageFormat.Png)
        {
            throw new InvalidDataException($"Not a PNG image: a {codec.EncodedFormat} image.");
        }
        int width = codec.Info.Width, height = codec.Info.Height;
        if (width <= 0 || height <= 0 || (long)width * height > MaxPixels)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"PNG of {width}×{height} pixels: more than the {MaxPixels} this client decodes."));
        }
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        SKCodecResult decoded = codec.GetPixels(info, bitmap.GetPixels());
        if (decoded != SKCodecResult.Success)
        {
            throw new InvalidDataException(decoded == SKCodecResult.IncompleteInput
                ? string.Create(CultureInfo.InvariantCulture, $"PNG of {width}×{height} pixels is truncated: its image data ends early ({png.Length} bytes).")
                : string.Create(CultureInfo.InvariantCulture, $"PNG of {width}×{height} pixels is corrupt ({decoded})."));
        }
        ReadOnlySpan<byte> rgba = bitmap.GetPixelSpan(); // [H, W, 4]
        var rgb = new byte[width * height * 3];
        for (int i = 0, n = width * height; i < n; i++)
        {
            rgb[3 * i] = rgba[4 * i];
            rgb[(3 * i) + 1] = rgba[(4 * i) + 1];
            rgb[(3 * i) + 2] = rgba[(4 * i) + 2];
        }
        return new PreviewImage(width, height, rgb);
    }

    /// <summary>A SkiaSharp bitmap of these pixels (RGBA, opaque), to draw or encode; the caller disposes it.</summary>
    public SKBitmap ToBitmap()
    {
        var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        Span<byte> rgba = bitmap.GetPixelSpan(); // [H, W, 4]
        for (int i = 0, n = Width * Height; i < n; i++)
        {
            rgba[4 * i] = Rgb[3 * i];
            rgba[(4 * i) + 1] = Rgb[(3 * i) + 1];
            rgba[(4 * i) + 2] = Rgb[(3 * i) + 2];
            rgba[(4 * i) + 3] = 255;
        }
        return bitmap;
    }
}
