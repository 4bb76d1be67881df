using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace AdaDiff.Evaluation.Reporting;

/// <summary>An RGB raster with the few drawing primitives the plots need, saved as PNG through ImageSharp.</summary>
internal sealed class Canvas
{
    private static readonly PngEncoder Encoder = new() { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 };
    private readonly Rgb24[] pixels;

    public Canvas(int width, int height, Rgb24 background)
    {
        Width = width;
        Height = height;
        pixels = new Rgb24[width * height];
        Array.Fill(pixels, background);
    }

    public int Width { get; }

    public int Height { get; }

    public Rgb24 this[int x, int y] => pixels[(y * Width) + x];

    public void Set(int x, int y, Rgb24 color)
    {
        if ((uint)x < (uint)Width && (uint)y < (uint)Height)
        {
            pixels[(y * Width) + x] = color;
        }
    }

    public void FillRect(int x, int y, int w, int h, Rgb24 color)
    {
        for (int j = Math.Max(0, y); j < Math.Min(Height, y + h); j++)
        {
            for (int i = Math.Max(0, x); i < Math.Min(Width, x + w); i++)
            {
                pixels[(j * Width) + i] = color;
            }
        }
    }

    /// <summary>A line of <paramref name="thickness"/> pixels; <paramref name="dash"/> &gt; 0 draws dashes of that length.</summary>
    public void Line(double x0, double y0, double x1, double y1, Rgb24 color, int thickness = 1, int dash = 0)
    {
        double length = Math.Max(Math.Abs(x1 - x0), Math.Abs(y1 - y0));
        int steps = Math.Max(1, (int)Math.Ceiling(length));
        int half = thickness / 2;
        for (int s = 0; s <= steps; s++)
        {
            if (dash > 0 && (s / dash) % 2 == 1)
            {
                continue;
            }
            int x = (int)Math.Round(x0 + ((x1 - x0) * s / steps));
            int y = (int)Math.Round(y0 + ((y1 - y0) * s / steps));
            FillRect(x - half, y - half, thickness, thickness, color);
        }
    }

    /// <summary>A filled square marker (or a hollow one) centred on (x, y).</summary>
    public void Marker(double x, double y, int size, Rgb24 color, bool hollow = false)
    {
        int cx = (int)Math.Round(x), cy = (int)Math.Round(y), h = size / 2;
        if (hollow)
        {
            Line(cx - h, cy - h, cx + h, cy - h, color, 2);
            Line(cx - h, cy + h, cx + h, cy + h, color, 2);
            Line(cx - h, cy - h, cx - h, cy + h, color, 2);
            Line(cx + h, cy - h, cx + h, cy + h, color, 2);
        }
        else
        {
            FillRect(cx - h, cy - h, size, size, color);
        }
    }

    /// <summary>Text in the built-in 3×5 font, scaled; (x, y) is the top-left corner. Returns the width drawn.</summary>
    public int Text(int x, int y, string text, Rgb24 color, int scale = 2) => BitmapFont.Draw(this, x, y, text, color, scale);

    /// <summary>Copies a grey image in [-1, 1] at (x, y), each pixel a <paramref name="scale"/>² block.</summary>
    public void Grey(int x, int y, ReadOnlySpan<float> image, int height, int width, int scale)
    {
        for (int r = 0; r < height; r++)
        {
            for (int c = 0; c < width; c++)
            {
                byte v = ToByte(image[(r * width) + c]);
                FillRect(x + (c * scale), y + (r * scale), scale, scale, new Rgb24(v, v, v));
            }
        }
    }

    public static byte ToByte(float x)
    {
        float v = (x + 1f) * 127.5f;
        return v >= 255f ? (byte)255 : v > 0f ? (byte)(v + 0.5f) : (byte)0;
    }

    public void Save(string path)
    {
        using Image<Rgb24> image = Image.LoadPixelData<Rgb24>(pixels, Width, Height);
        image.Save(path, Encoder);
    }
}
