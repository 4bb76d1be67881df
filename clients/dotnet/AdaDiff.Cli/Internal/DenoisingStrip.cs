using System.Globalization;
using AdaDiff.Client;
using SkiaSharp;

namespace AdaDiff.Cli.Internal;

/// <summary>
/// A sheet of per-step previews: one column per step that carried previews (step number on top), one row per image,
/// and under each preview the layer that image exited at in that step, coloured from green (shallow) to red (full depth).
/// Drawn with SkiaSharp; the labels in DejaVu Sans (embedded, see the project file), without anti-aliasing so that
/// every label pixel has exactly its depth's colour.
/// </summary>
internal sealed class DenoisingStrip
{
    /// <summary>Pixels around and between cells.</summary>
    internal const int Gap = 6;

    /// <summary>Label size in pixels (the em; digits are about 9 px tall).</summary>
    internal const float FontSize = 12;

    internal static readonly SKColor Background = new(24, 24, 24);
    internal static readonly SKColor Label = new(220, 220, 220);

    private const string FontResource = "AdaDiff.Cli.Fonts.DejaVuSans.ttf";
    private static readonly Lazy<SKTypeface> Typeface = new(LoadTypeface);

    private readonly List<(uint Step, uint FullDepth, uint[] Exits, PreviewImage[] Previews)> columns = [];

    /// <summary>Steps collected so far.</summary>
    public int Count => columns.Count;

    /// <summary>Keeps the previews of a step (steps without previews are skipped).</summary>
    public void Add(StepProgress step)
    {
        if (step.Update.PreviewPng.Count == 0)
        {
            return;
        }
        columns.Add((step.Update.StepIndex + 1, step.Update.FullDepth, [.. step.Update.ExitLayers], [.. step.DecodePreviews()]));
    }

    /// <summary>
    /// Where <see cref="Render"/> puts things, in pixels: cell width, label height and the distance from a label's top
    /// edge to its baseline, tile size.
    /// </summary>
    internal readonly record struct Layout(int CellWidth, int TextHeight, float Baseline, int TileWidth, int TileHeight)
    {
        /// <summary>Height of one image row: its tile, a gap, its exit label, a gap.</summary>
        public int RowHeight => TileHeight + Gap + TextHeight + Gap;

        /// <summary>Left edge of column <paramref name="c"/>.</summary>
        public int ColumnX(int c) => Gap + (c * (CellWidth + Gap));

        /// <summary>Top edge of the tile of image row <paramref name="i"/>.</summary>
        public int TileY(int i) => Gap + TextHeight + Gap + (i * RowHeight);
    }

    /// <summary>The layout of the sheet for the steps collected so far; null when none carried previews.</summary>
    internal Layout? Measure()
    {
        if (columns.Count == 0)
        {
            return null;
        }
        int srcW = columns[0].Previews[0].Width, srcH = columns[0].Previews[0].Height;
        int zoom = Math.Max(1, 64 / Math.Max(srcW, srcH)); // small images (28×28) are enlarged to about 64 px
        using SKFont font = NewFont();
        font.MeasureText("0123456789", out SKRect digits);
        int textH = (int)Math.Ceiling(digits.Height);
        int cellW = Math.Max(srcW * zoom, (int)Math.Ceiling(font.MeasureText("9999")));
        return new Layout(cellW, textH, -digits.Top, srcW * zoom, srcH * zoom);
    }

    /// <summary>Renders the sheet (RGBA, opaque; the caller disposes it); null when no step carried previews.</summary>
    public SKBitmap? Render()
    {
        if (Measure() is not Layout layout)
        {
            return null;
        }
        int images = columns[0].Previews.Length;
        int width = Gap + (columns.Count * (layout.CellWidth + Gap));
        int height = layout.TileY(images);

        var sheet = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(sheet);
        canvas.Clear(Background);
        using SKFont font = NewFont();
        float baseline = layout.Baseline;
        var nearest = new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None); // enlarged pixels stay square
        using var paint = new SKPaint { IsAntialias = false };
        for (int c = 0; c < columns.Count; c++)
        {
            var (step, fullDepth, exits, previews) = columns[c];
            int x = layout.ColumnX(c);
            float middle = x + (layout.CellWidth / 2f);
            paint.Color = Label;
            canvas.DrawText(step.ToString(CultureInfo.InvariantCulture), middle, Gap + baseline, SKTextAlign.Center, font, paint);
            for (int i = 0; i < Math.Min(images, previews.Length); i++)
            {
                int y = layout.TileY(i);
                using SKBitmap tile = previews[i].ToBitmap();
                using SKImage tileImage = SKImage.FromBitmap(tile);
                int tileX = x + ((layout.CellWidth - layout.TileWidth) / 2);
                canvas.DrawImage(tileImage, SKRect.Create(tileX, y, layout.TileWidth, layout.TileHeight), nearest);
                if (i < exits.Length)
                {
                    paint.Color = DepthColor(exits[i], fullDepth);
                    canvas.DrawText(exits[i].ToString(CultureInfo.InvariantCulture), middle, y + layout.TileHeight + Gap + baseline, SKTextAlign.Center, font, paint);
                }
            }
        }
        canvas.Flush();
        return sheet;
    }

    /// <summary>Green at layer 1, yellow half way, red at full depth.</summary>
    internal static SKColor DepthColor(uint layer, uint fullDepth)
    {
        double f = fullDepth <= 1 ? 1 : Math.Clamp((layer - 1.0) / (fullDepth - 1.0), 0, 1);
        byte r = (byte)Math.Round(255 * Math.Min(1, 2 * f));
        byte g = (byte)Math.Round(255 * Math.Min(1, 2 * (1 - f)));
        return new SKColor(r, g, 64);
    }

    /// <summary>Aliased (no grey edge pixels), unhinted DejaVu Sans at <see cref="FontSize"/>.</summary>
    private static SKFont NewFont() => new(Typeface.Value, FontSize) { Edging = SKFontEdging.Alias, Hinting = SKFontHinting.None };

    private static SKTypeface LoadTypeface()
    {
        using Stream stream = typeof(DenoisingStrip).Assembly.GetManifestResourceStream(FontResource)
            ?? throw new InvalidOperationException($"The label font {FontResource} is not in {typeof(DenoisingStrip).Assembly.GetName().Name}.");
        using SKData data = SKData.Create(stream);
        return SKTypeface.FromData(data) ?? throw new InvalidOperationException($"{FontResource}: not a font SkiaSharp can read.");
    }
}
