using SixLabors.ImageSharp.PixelFormats;

namespace AdaDiff.Evaluation.Reporting;

/// <summary>
/// A 3×5 pixel font for digits, '.', '-', '%', '=', parentheses and the capitals the plots use, for tick labels (no text-rendering library is
/// available here). Each glyph is 5 rows of 3 bits, most significant bit on the left.
/// </summary>
internal static class BitmapFont
{
    public const int GlyphWidth = 3;
    public const int GlyphHeight = 5;

    private static readonly Dictionary<char, int[]> Glyphs = new()
    {
        ['0'] = [0b111, 0b101, 0b101, 0b101, 0b111],
        ['1'] = [0b010, 0b110, 0b010, 0b010, 0b111],
        ['2'] = [0b111, 0b001, 0b111, 0b100, 0b111],
        ['3'] = [0b111, 0b001, 0b111, 0b001, 0b111],
        ['4'] = [0b101, 0b101, 0b111, 0b001, 0b001],
        ['5'] = [0b111, 0b100, 0b111, 0b001, 0b111],
        ['6'] = [0b111, 0b100, 0b111, 0b101, 0b111],
        ['7'] = [0b111, 0b001, 0b010, 0b010, 0b010],
        ['8'] = [0b111, 0b101, 0b111, 0b101, 0b111],
        ['9'] = [0b111, 0b101, 0b111, 0b001, 0b111],
        ['.'] = [0b000, 0b000, 0b000, 0b000, 0b010],
        ['-'] = [0b000, 0b000, 0b111, 0b000, 0b000],
        ['%'] = [0b101, 0b001, 0b010, 0b100, 0b101],
        ['='] = [0b000, 0b111, 0b000, 0b111, 0b000],
        [' '] = [0b000, 0b000, 0b000, 0b000, 0b000],
        ['A'] = [0b010, 0b101, 0b111, 0b101, 0b101],
        ['D'] = [0b110, 0b101, 0b101, 0b101, 0b110],
        ['F'] = [0b111, 0b100, 0b110, 0b100, 0b100],
        ['I'] = [0b111, 0b010, 0b010, 0b010, 0b111],
        ['L'] = [0b100, 0b100, 0b100, 0b100, 0b111],
        ['T'] = [0b111, 0b010, 0b010, 0b010, 0b010],
        ['Y'] = [0b101, 0b101, 0b010, 0b010, 0b010],
        ['X'] = [0b101, 0b101, 0b010, 0b101, 0b101],
        ['E'] = [0b111, 0b100, 0b110, 0b100, 0b111],
        ['R'] = [0b110, 0b101, 0b110, 0b101, 0b101],
        ['S'] = [0b111, 0b100, 0b111, 0b001, 0b111],
        ['M'] = [0b101, 0b111, 0b111, 0b101, 0b101],
        ['N'] = [0b110, 0b101, 0b101, 0b101, 0b101],
        ['P'] = [0b110, 0b101, 0b110, 0b100, 0b100],
        ['C'] = [0b111, 0b100, 0b100, 0b100, 0b111],
        ['G'] = [0b111, 0b100, 0b101, 0b101, 0b111],
        ['O'] = [0b010, 0b101, 0b101, 0b101, 0b010],
        ['('] = [0b001, 0b010, 0b010, 0b010, 0b001],
        [')'] = [0b100, 0b010, 0b010, 0b010, 0b100],
    };

    /// <summary>Width in pixels of <paramref name="text"/> at <paramref name="scale"/> (one blank column between glyphs).</summary>
    public static int Measure(string text, int scale) => text.Length == 0 ? 0 : ((text.Length * (GlyphWidth + 1)) - 1) * scale;

    public static int Draw(Canvas canvas, int x, int y, string text, Rgb24 color, int scale)
    {
        int cx = x;
        foreach (char ch in text)
        {
            if (Glyphs.TryGetValue(char.ToUpperInvariant(ch), out int[]? rows))
            {
                for (int r = 0; r < GlyphHeight; r++)
                {
                    for (int c = 0; c < GlyphWidth; c++)
                    {
                        if ((rows[r] & (1 << (GlyphWidth - 1 - c))) != 0)
                        {
                            canvas.FillRect(cx + (c * scale), y + (r * scale), scale, scale, color);
                        }
                    }
                }
            }
            cx += (GlyphWidth + 1) * scale;
        }
        return cx - x;
    }
}
