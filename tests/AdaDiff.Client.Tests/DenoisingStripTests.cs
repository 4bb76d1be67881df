using AdaDiff.Cli.Internal;
using AdaDiff.Grpc.V1;
using Google.Protobuf;
using SkiaSharp;

namespace AdaDiff.Client.Tests;

/// <summary>
/// The CLI's strip read back by regions: each tile is its preview enlarged pixel for pixel, and each label band holds
/// ink of its one colour (labels are drawn without anti-aliasing) centred in its cell, wider for more digits.
/// </summary>
public sealed class DenoisingStripTests
{
    private const uint FullDepth = 13;

    // Two steps with previews (labelled 2 and 4) of two 28×28 images, grey 100 and 180, and one step without previews.
    private static readonly (uint StepIndex, uint[] Exits)[] Steps = [(1, [1, 13]), (2, []), (3, [7, 13])];
    private static readonly byte[] Greys = [100, 180];

    [Fact]
    public void Render_NoPreviews_Null()
    {
        var strip = new DenoisingStrip();
        strip.Add(Step(0, [3], previews: false));
        Assert.Equal(0, strip.Count);
        Assert.Null(strip.Render());
    }

    [Fact]
    public void Render_Tiles_ArePreviewsEnlargedNearestNeighbour()
    {
        (DenoisingStrip strip, DenoisingStrip.Layout layout, SKBitmap sheet) = Rendered();
        using (sheet)
        {
            Assert.Equal(2, strip.Count);
            Assert.Equal((56, 56), (layout.TileWidth, layout.TileHeight)); // 28 px enlarged 2× to about 64
            Assert.Equal((DenoisingStrip.Gap + (2 * (layout.CellWidth + DenoisingStrip.Gap)), layout.TileY(2)), (sheet.Width, sheet.Height));
            for (int c = 0; c < 2; c++)
            {
                for (int i = 0; i < 2; i++)
                {
                    SKRectI tile = Tile(layout, c, i);
                    Assert.All(Pixels(sheet, tile), p => Assert.Equal(new SKColor(Greys[i], Greys[i], Greys[i]), p));
                }
            }
        }
    }

    [Fact]
    public void Render_Labels_StepNumbersOnTopExitLayersUnderEachTileInTheirDepthColour()
    {
        (_, DenoisingStrip.Layout layout, SKBitmap sheet) = Rendered();
        using (sheet)
        {
            uint[][] exits = [[1, 13], [7, 13]];
            var widths = new Dictionary<string, int>();
            for (int c = 0; c < 2; c++)
            {
                widths[$"step{c}"] = AssertLabel(sheet, StepBand(layout, c), DenoisingStrip.Label);
                for (int i = 0; i < 2; i++)
                {
                    widths[$"exit{c}{i}"] = AssertLabel(sheet, ExitBand(layout, c, i), DenoisingStrip.DepthColor(exits[c][i], FullDepth));
                }
            }
            // Two digits ("13") are wider than one ("1", "7", "2", "4").
            Assert.True(widths["exit01"] > widths["exit00"] && widths["exit11"] > widths["exit10"], string.Join(", ", widths));
            Assert.True(widths["exit01"] > widths["step0"], string.Join(", ", widths));
        }
    }

    [Fact]
    public void Render_OutsideTilesAndLabels_Background()
    {
        (_, DenoisingStrip.Layout layout, SKBitmap sheet) = Rendered();
        using (sheet)
        {
            var drawn = new List<SKRectI>();
            for (int c = 0; c < 2; c++)
            {
                drawn.Add(StepBand(layout, c));
                for (int i = 0; i < 2; i++)
                {
                    drawn.Add(Tile(layout, c, i));
                    drawn.Add(ExitBand(layout, c, i));
                }
            }
            for (int y = 0; y < sheet.Height; y++)
            {
                for (int x = 0; x < sheet.Width; x++)
                {
                    if (!drawn.Exists(r => r.Contains(x, y)))
                    {
                        Assert.True(sheet.GetPixel(x, y) == DenoisingStrip.Background, $"({x}, {y}) is {sheet.GetPixel(x, y)}");
                    }
                }
            }
        }
    }

    [Fact]
    public void DepthColor_ShallowGreen_HalfWayYellow_FullRed()
    {
        Assert.Equal(new SKColor(0, 255, 64), DenoisingStrip.DepthColor(1, 13));
        Assert.Equal(new SKColor(255, 255, 64), DenoisingStrip.DepthColor(7, 13));
        Assert.Equal(new SKColor(255, 0, 64), DenoisingStrip.DepthColor(13, 13));
    }

    /// <summary>
    /// Every pixel of the band is background or <paramref name="ink"/>, there is ink (at least 8 pixels), and its extent
    /// is centred in the band within 2 px; returns the ink's width.
    /// </summary>
    private static int AssertLabel(SKBitmap sheet, SKRectI band, SKColor ink)
    {
        int count = 0, left = int.MaxValue, right = int.MinValue;
        for (int y = band.Top; y < band.Bottom; y++)
        {
            for (int x = band.Left; x < band.Right; x++)
            {
                SKColor p = sheet.GetPixel(x, y);
                Assert.True(p == ink || p == DenoisingStrip.Background, $"({x}, {y}) is {p}, neither the label's {ink} nor the background");
                if (p == ink)
                {
                    count++;
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                }
            }
        }
        Assert.True(count >= 8, $"{count} pixels of {ink} in {band}");
        double centre = (left + right + 1) / 2.0, middle = (band.Left + band.Right) / 2.0;
        Assert.InRange(centre, middle - 2, middle + 2);
        return right - left + 1;
    }

    private static (DenoisingStrip Strip, DenoisingStrip.Layout Layout, SKBitmap Sheet) Rendered()
    {
        var strip = new DenoisingStrip();
        foreach ((uint index, uint[] exits) in Steps)
        {
            strip.Add(Step(index, exits, previews: exits.Length > 0));
        }
        return (strip, strip.Measure() ?? throw new InvalidOperationException("no layout"), strip.Render()!);
    }

    private static StepProgress Step(uint index, uint[] exits, bool previews)
    {
        var update = new StepUpdate { StepIndex = index, FullDepth = FullDepth, ExitLayers = { exits } };
        if (previews)
        {
            foreach (byte grey in Greys)
            {
                update.PreviewPng.Add(ByteString.CopyFrom(DecodingTests.GrayPng(28, 28, (_, _) => grey)));
            }
        }
        return new StepProgress(update, (int)index + 1, 0, 0);
    }

    private static SKRectI Tile(DenoisingStrip.Layout layout, int c, int i)
    {
        int x = layout.ColumnX(c) + ((layout.CellWidth - layout.TileWidth) / 2);
        return SKRectI.Create(x, layout.TileY(i), layout.TileWidth, layout.TileHeight);
    }

    private static SKRectI StepBand(DenoisingStrip.Layout layout, int c) =>
        SKRectI.Create(layout.ColumnX(c), DenoisingStrip.Gap, layout.CellWidth, layout.TextHeight);

    private static SKRectI ExitBand(DenoisingStrip.Layout layout, int c, int i) =>
        SKRectI.Create(layout.ColumnX(c), layout.TileY(i) + layout.TileHeight + DenoisingStrip.Gap, layout.CellWidth, layout.TextHeight);

    private static IEnumerable<SKColor> Pixels(SKBitmap sheet, SKRectI region)
    {
        for (int y = region.Top; y < region.Bottom; y++)
        {
            for (int x = region.Left; x < region.Right; x++)
            {
                yield return sheet.GetPixel(x, y);
            }
        }
    }
}
