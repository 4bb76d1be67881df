using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AdaDiff.Client;

/// <summary>A decoded PNG (a preview or a final image) as 8-bit RGB pixels, row-major.</summary>
public sealed class PreviewImage
{
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

    /// <summary>Decodes PNG bytes; throws <see cref="InvalidDataException"/> if they are not an image.</summary>
    public static PreviewImage Decode(ReadOnlySpan<byte> png)
    {
        try
        {
            using Image<Rgb24> image = Image.Load<Rgb24>(png);
            var rgb = new byte[image.Width * image.Height * 3];
            image.CopyPixelDataTo(rgb);
            return new PreviewImage(image.Width, image.Height, rgb);
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException)
        {
            throw new InvalidDataException("Not a PNG image.", e);
        }
    }

    /// <summary>An <see cref="Image{Rgb24}"/> of these pixels (the caller disposes it).</summary>
    public Image<Rgb24> ToImage() => Image.LoadPixelData<Rgb24>(Rgb, Width, Height);
}
