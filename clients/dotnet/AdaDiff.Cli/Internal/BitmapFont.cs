using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AdaDiff.Cli.Internal;

/// <summary>
/// A 3×5-pixel font of the digits and '/', drawn pixel by pixel (no font library is available to the CLI).
/// </summary>
internal static class BitmapFont
{
    /// <summary>Glyph width and height in font pixels; glyphs are one font pixel apart.</summary>
    public const int GlyphWidth = 3, GlyphHeight = 5;

    // Each glyph: 5 rows of 3 bits, most significant bit leftmost.
    private static readonly byte[][] Digits =
    [
        [0b111, 0b101, 0b101, 0b101, 0b111], // 0
        [0b010, 0b110, 0b010, 0b010, 0b111], // 1
        [0b111, 0b001, 0b111, 0b100, 0b111], // 2
        [0b111, 0b001, 0b111, 0b001, 0b111], // 3
        [0b101, 0b101, 0b111, 0b001, 0b001], // 4
        [0b111, 0b100, 0b111, 0b001, 0b111], // 5
        [0b111, 0b100, 0b111, 0b101, 0b111], // 6
        [0b111, 0b001, 0b010, 0b010, 0b010], // 7
        [0b111, 0b101, 0b111, 0b101, 0b111], // 8
        [0b111, 0b101, 0b111, 0b001, 0b111], // 9
    ];

    private static readonly byte[] Slash = [0b001, 0b001, 0b010, 0b100, 0b100];

    /// <summary>Width in image pixels of <paramref name="text"/> at <paramref name="scale"/>.</summary>
    public static int MeasureWidth(string text, int scale) => text.Length == 0 ? 0 : ((text.Length * (GlyphWidth + 1)) - 1) * scale;

    /// <summary>True if every character of <paramref name="text"/> has a glyph.</summary>
    public static bool CanDraw(string text)
    {
        foreach (char c in text)
        {
            if (c is not ((>= '0' and <= '9') or '/'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y); pixels outside the image are skipped.</summary>
    public static void Draw(Image<Rgb24> image, string text, int x, int y, int scale, Rgb24 color)
    {
        if (!CanDraw(text))
        {
            throw new ArgumentException($"The bitmap font has digits and '/' only, not \"{text}\".", nameof(text));
        }
        foreach (char c in text)
        {
            byte[] rows = c == '/' ? Slash : Digits[c - '0'];
            for (int row = 0; row < GlyphHeight; row++)
            {
                for (int col = 0; col < GlyphWidth; col++)
                {
                    if ((rows[row] & (1 << (GlyphWidth - 1 - col))) != 0)
                    {
                        Fill(image, x + (col * scale), y + (row * scale), scale, color);
                    }
                }
            }
            x += (GlyphWidth + 1) * scale;
        }
    }

    private static void Fill(Image<Rgb24> image, int x0, int y0, int size, Rgb24 color)
    {
        for (int y = Math.Max(0, y0); y < Math.Min(image.Height, y0 + size); y++)
        {
            for (int x = Math.Max(0, x0); x < Math.Min(image.Width, x0 + size); x++)
            {
                image[x, y] = color;
            }
        }
    }
}
