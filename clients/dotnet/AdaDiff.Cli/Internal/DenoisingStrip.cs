using AdaDiff.Client;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace AdaDiff.Cli.Internal;

/// <summary>
/// A sheet of per-step previews: one column per step that carried previews (step number on top), one row per image,
/// and under each preview the layer that image exited at in that step, coloured from green (shallow) to red (full depth).
/// </summary>
internal sealed class DenoisingStrip
{
    private const int Gap = 6, FontScale = 2;
    private static readonly Rgb24 Background = new(24, 24, 24);
    private static readonly Rgb24 Label = new(220, 220, 220);

    private readonly List<(uint Step, uint FullDepth, uint[] Exits, PreviewImage[] Previews)> _columns = [];

    /// <summary>Steps collected so far.</summary>
    public int Count => _columns.Count;

    /// <summary>Keeps the previews of a step (steps without previews are skipped).</summary>
    public void Add(StepProgress step)
    {
        if (step.Update.PreviewPng.Count == 0)
        {
            return;
        }
        _columns.Add((step.Update.StepIndex + 1, step.Update.FullDepth, [.. step.Update.ExitLayers], [.. step.DecodePreviews()]));
    }

    /// <summary>Renders the sheet; null when no step carried previews.</summary>
    public Image<Rgb24>? Render()
    {
        if (_columns.Count == 0)
        {
            return null;
        }
        int images = _columns[0].Previews.Length;
        int srcW = _columns[0].Previews[0].Width, srcH = _columns[0].Previews[0].Height;
        int zoom = Math.Max(1, 64 / Math.Max(srcW, srcH)); // small images (28×28) are enlarged to about 64 px
        int tileW = srcW * zoom, tileH = srcH * zoom;
        int textH = BitmapFont.GlyphHeight * FontScale;
        int cellW = Math.Max(tileW, BitmapFont.MeasureWidth("9999", FontScale));
        int rowH = tileH + Gap + textH + Gap;
        int width = Gap + (_columns.Count * (cellW + Gap));
        int height = Gap + textH + Gap + (images * rowH);

        var sheet = new Image<Rgb24>(width, height, Background);
        for (int c = 0; c < _columns.Count; c++)
        {
            var (step, fullDepth, exits, previews) = _columns[c];
            int x = Gap + (c * (cellW + Gap));
            DrawCentered(sheet, step.ToString(System.Globalization.CultureInfo.InvariantCulture), x, cellW, Gap, Label);
            for (int i = 0; i < Math.Min(images, previews.Length); i++)
            {
                int y = Gap + textH + Gap + (i * rowH);
                using Image<Rgb24> tile = previews[i].ToImage();
                tile.Mutate(t => t.Resize(tileW, tileH, KnownResamplers.NearestNeighbor));
                int tileX = x + ((cellW - tileW) / 2);
                sheet.Mutate(s => s.DrawImage(tile, new Point(tileX, y), 1f));
                if (i < exits.Length)
                {
                    DrawCentered(sheet, exits[i].ToString(System.Globalization.CultureInfo.InvariantCulture), x, cellW, y + tileH + Gap, DepthColor(exits[i], fullDepth));
                }
            }
        }
        return sheet;
    }

    /// <summary>Green at layer 1, yellow half way, red at full depth.</summary>
    internal static Rgb24 DepthColor(uint layer, uint fullDepth)
    {
        double f = fullDepth <= 1 ? 1 : Math.Clamp((layer - 1.0) / (fullDepth - 1.0), 0, 1);
        byte r = (byte)Math.Round(255 * Math.Min(1, 2 * f));
        byte g = (byte)Math.Round(255 * Math.Min(1, 2 * (1 - f)));
        return new Rgb24(r, g, 64);
    }

    private static void DrawCentered(Image<Rgb24> image, string text, int x, int width, int y, Rgb24 color) =>
        BitmapFont.Draw(image, text, x + ((width - BitmapFont.MeasureWidth(text, FontScale)) / 2), y, FontScale, color);
}
