using AdaDiff.Evaluation.Reporting;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AdaDiff.Evaluation.Tests;

/// <summary>The zoomed Pareto plot's y axis, read back from the PNG it writes: where the markers land.</summary>
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
        double[] rows = MarkerRows([(7, 0), (9, 5), (11, 10)]);

        Assert.InRange(rows[0], XAxisRow() - 2, XAxisRow() + 2);
    }

    private string PlotPath => Path.Combine(folder, "pareto-zoom.png");

    /// <summary>Draws one unconnected blue series, zoomed, and returns each marker's centre row (top = 0), in x order.</summary>
    private double[] MarkerRows(IReadOnlyList<(double X, double Y)> points)
    {
        Plots.Pareto(PlotPath, [new PlotSeries("sweep", Plots.Blue, points, Connect: false)], floor: null, depth: 13, zoom: true);
        using Image<Rgb24> image = Image.Load<Rgb24>(PlotPath);
        var blue = new List<(int X, int Y)>();
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                if (image[x, y] == Plots.Blue)
                {
                    blue.Add((x, y));
                }
            }
        }
        // markers are separate blobs along x: split where a column has no blue pixel
        var rows = new List<double>();
        var blob = new List<(int X, int Y)>();
        foreach (var group in blue.GroupBy(p => p.X).OrderBy(g => g.Key))
        {
            if (blob.Count > 0 && group.Key > blob[^1].X + 1)
            {
                rows.Add(blob.Average(p => p.Y));
                blob.Clear();
            }
            blob.AddRange(group);
        }
        if (blob.Count > 0)
        {
            rows.Add(blob.Average(p => p.Y));
        }
        Assert.Equal(points.Count, rows.Count);
        return [.. rows];
    }

    /// <summary>The row of the x axis: the longest horizontal black run in the picture.</summary>
    private double XAxisRow()
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(PlotPath);
        var black = new Rgb24(0, 0, 0);
        int bestRow = -1, bestCount = 0;
        for (int y = 0; y < image.Height; y++)
        {
            int count = 0;
            for (int x = 0; x < image.Width; x++)
            {
                count += image[x, y] == black ? 1 : 0;
            }
            if (count > bestCount)
            {
                bestCount = count;
                bestRow = y;
            }
        }
        return bestRow;
    }
}
