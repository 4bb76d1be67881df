using AdaDiff.Evaluation.Reporting;
using SkiaSharp;

namespace AdaDiff.Evaluation.Tests;

/// <summary>The sample grid and the exit heatmap, read back from their PNGs: their pixels say what was drawn.</summary>
public sealed class PicturesTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("adadiff-pictures-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void ImageGrid_EveryImagePixelIsATwoByTwoBlockOfItsGrey_RowsLabelled()
    {
        const int side = 4;
        // Three 4×4 images: a ramp, all black, all white; rows [0, 1] and [2].
        var images = new float[3 * side * side];
        for (int i = 0; i < side * side; i++)
        {
            images[i] = (i / (side * side - 1f) * 2f) - 1f;
            images[(side * side) + i] = -1f;
            images[(2 * side * side) + i] = 1f;
        }
        string path = Path.Combine(folder, "grid.png");

        ImageGrid.Write(path, images, side, side, [[0, 1], [2]], labelRows: true);

        using SKBitmap grid = SKBitmap.Decode(path);
        const int left = 24, gap = 2, cell = (side * 2) + gap;
        Assert.Equal(left + (2 * cell), grid.Width);
        Assert.Equal(gap + (2 * cell), grid.Height);
        for (int i = 0; i < side * side; i++)
        {
            int x = left + (2 * (i % side)), y = gap + (2 * (i / side));
            byte expected = ImageGrid.ToByte(images[i]);
            foreach ((int dx, int dy) in new[] { (0, 0), (1, 0), (0, 1), (1, 1) })
            {
                Assert.Equal(new SKColor(expected, expected, expected), grid.GetPixel(x + dx, y + dy));
            }
        }
        Assert.Equal(SKColors.Black, grid.GetPixel(left + cell + 3, gap + 3));          // the black image, beside the ramp
        Assert.Equal(SKColors.White, grid.GetPixel(left + 3, gap + cell + 3));          // the white one, on the second row
        Assert.Equal(new SKColor(40, 40, 40), grid.GetPixel(left + (2 * side), gap)); // the gap between images
        Assert.Equal(new SKColor(40, 40, 40), grid.GetPixel(left + cell + 3, gap + cell + 3)); // no image there
        Assert.True(Count(grid, 0, left - 1, 0, grid.Height - 1, c => c.Red > 150) > 10, "row labels missing");
    }

    [Fact]
    public void Heatmap_ShadesEachCellByItsFraction_LayerOneAtTheBottom()
    {
        // Two steps of three layers: every image exits at layer 1 in the first step, at layer 3 in the second.
        string path = Path.Combine(folder, "heatmap.png");
        PlotArea area = Plots.Heatmap(path, [999, 1], [[1, 0, 0], [0, 0, 1]], [1, 3], depth: 3);

        using SKBitmap image = SKBitmap.Decode(path);
        SKColor Cell(int step, int layer) => image.GetPixel(
            (int)(area.Left + ((step + 0.25) * (area.Right - area.Left) / 2)),        // left of the cell's centre, off the red dot
            (int)(area.Bottom - ((layer - 0.5) * (area.Bottom - area.Top) / 3)));
        var darkBlue = new SKColor(8, 48, 107);
        Assert.Equal(darkBlue, Cell(0, 1));
        Assert.Equal(SKColors.White, Cell(0, 3));
        Assert.Equal(SKColors.White, Cell(1, 1));
        Assert.Equal(darkBlue, Cell(1, 3));
        Assert.True(Count(image, (int)area.Left, (int)area.Right, (int)area.Top, (int)area.Bottom, c => c == new SKColor(214, 39, 40)) > 20, "no mean-exit dots");
    }

    private static int Count(SKBitmap image, int left, int right, int top, int bottom, Func<SKColor, bool> match)
    {
        int count = 0;
        for (int y = Math.Max(0, top); y <= Math.Min(image.Height - 1, bottom); y++)
        {
            for (int x = Math.Max(0, left); x <= Math.Min(image.Width - 1, right); x++)
            {
                count += match(image.GetPixel(x, y)) ? 1 : 0;
            }
        }
        return count;
    }
}
