using AdaDiff.Evaluation.Reporting;
using SkiaSharp;

namespace AdaDiff.Evaluation.Tests;

/// <summary>The Pareto plot's y axis, read back from the PNG it writes: where the markers land, and that its text is drawn.</summary>
public sealed class ParetoPlotTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "adadiff-plot-" + Guid.NewGuid().ToString("N"));

    public ParetoPlotTests()
    {
        Directory.CreateDirectory(folder);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Zoom_PointsSpanningTwoDecades_AreDrawnOnALogAxis()
    {
        // 30, 300, 3000: a collapsed sweep. On a log axis the three markers are evenly spaced; on a linear one the
        // first gap would be a tenth of the second.
        double[] rows = MarkerRows([(7, 30), (9, 300), (11, 3000)]);

        double lower = rows[0] - rows[1], upper = rows[1] - rows[2];
        Assert.True(lower > 20, $"markers {string.Join(", ", rows)}");
        Assert.InRange(lower / upper, 0.9, 1.1);
    }

    [Fact]
    public void Zoom_PointsWithinOneDecade_StayOnALinearAxis()
    {
        // 30, 60, 120 (4×): linear, so the second gap is twice the first (a log axis would make them equal).
        double[] rows = MarkerRows([(7, 30), (9, 60), (11, 120)]);

        double lower = rows[0] - rows[1], upper = rows[1] - rows[2];
        Assert.InRange(upper / lower, 1.8, 2.2);
    }

    [Fact]
    public void Zoom_PointAtZero_SitsOnTheXAxis()
    {
        // FID-proxy is never negative: the zoomed axis starts at 0 at the lowest (a margin below 0 would float the
        // marker of 0 above the axis).
        // The plot clips at its data area, so the marker of 0 shows its upper half, down to the axis.
        List<(double Centre, int Bottom)> markers = Markers([(7, 0), (9, 5), (11, 10)]);

        double axis = XAxisRow();
        Assert.InRange(markers[0].Bottom, axis - 2, axis);
        Assert.InRange(markers[0].Centre, axis - 6, axis);
    }

    [Fact]
    public void Pareto_TickLabelsAndAxisTitles_AreDrawn()
    {
        PlotArea area = Plots.Pareto(PlotPath, [new PlotSeries("sweep", Plots.Blue, [(7, 30), (9, 60)], Connect: true)], floor: 20, depth: 13);
        using SKBitmap image = SKBitmap.Decode(PlotPath);

        // Below the x axis: the layer numbers and "mean layers executed"; left of the y axis: the FID values and its title.
        Assert.True(DarkPixels(image, (int)area.Left, image.Width - 1, (int)area.Bottom + 8, image.Height - 1) > 300, "no text under the x axis");
        Assert.True(DarkPixels(image, 0, (int)area.Left - 8, (int)area.Top, (int)area.Bottom) > 150, "no text left of the y axis");
        Assert.Equal(PlotFont.Family, PlotFont.Typeface.FamilyName); // the shipped face, not whatever the machine has
    }

    private string PlotPath => Path.Combine(folder, "pareto-zoom.png");

    /// <summary>
    /// Draws one unconnected blue series, zoomed, and returns each marker's centre row (top = 0), in x order, from the
    /// picture's data area (the legend below it has a blue marker of its own).
    /// </summary>
    private double[] MarkerRows(IReadOnlyList<(double X, double Y)> points) => [.. Markers(points).Select(m => m.Centre)];

    /// <summary>As <see cref="MarkerRows"/>, with each marker's lowest row.</summary>
    private List<(double Centre, int Bottom)> Markers(IReadOnlyList<(double X, double Y)> points)
    {
        PlotArea area = Plots.Pareto(PlotPath, [new PlotSeries("sweep", Plots.Blue, points, Connect: false)], floor: null, depth: 13, zoom: true);
        using SKBitmap image = SKBitmap.Decode(PlotPath);
        var blue = new SKColor(Plots.Blue.R, Plots.Blue.G, Plots.Blue.B);
        var found = new List<(int X, int Y)>();
        // The data area and a marker's half-size beyond it: a marker on an axis is cut by nothing.
        for (int y = 0; y <= Math.Min(image.Height - 1, (int)area.Bottom + 6); y++)
        {
            for (int x = Math.Max(0, (int)area.Left - 6); x < image.Width; x++)
            {
                if (image.GetPixel(x, y) == blue)
                {
                    found.Add((x, y));
                }
            }
        }
        // markers are separate blobs along x: split where a column has no blue pixel
        var markers = new List<(double Centre, int Bottom)>();
        var blob = new List<(int X, int Y)>();
        foreach (var group in found.GroupBy(p => p.X).OrderBy(g => g.Key))
        {
            if (blob.Count > 0 && group.Key > blob[^1].X + 1)
            {
                markers.Add((blob.Average(p => p.Y), blob.Max(p => p.Y)));
                blob.Clear();
            }
            blob.AddRange(group);
        }
        if (blob.Count > 0)
        {
            markers.Add((blob.Average(p => p.Y), blob.Max(p => p.Y)));
        }
        Assert.Equal(points.Count, markers.Count);
        return markers;
    }

    /// <summary>The row of the x axis: the row with the most dark pixels in the picture.</summary>
    private double XAxisRow()
    {
        using SKBitmap image = SKBitmap.Decode(PlotPath);
        int bestRow = -1, bestCount = 0;
        for (int y = 0; y < image.Height; y++)
        {
            int count = DarkPixels(image, 0, image.Width - 1, y, y);
            if (count > bestCount)
            {
                bestCount = count;
                bestRow = y;
            }
        }
        return bestRow;
    }

    private static int DarkPixels(SKBitmap image, int left, int right, int top, int bottom)
    {
        int count = 0;
        for (int y = Math.Max(0, top); y <= Math.Min(image.Height - 1, bottom); y++)
        {
            for (int x = Math.Max(0, left); x <= Math.Min(image.Width - 1, right); x++)
            {
                SKColor c = image.GetPixel(x, y);
                count += c.Red < 128 && c.Green < 128 && c.Blue < 128 ? 1 : 0;
            }
        }
        return count;
    }
}
