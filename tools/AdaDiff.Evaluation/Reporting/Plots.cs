using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace AdaDiff.Evaluation.Reporting;

/// <summary>A series of a line plot.</summary>
/// <param name="Name">Legend name.</param>
/// <param name="Color">Colour.</param>
/// <param name="Points">(x, y) points, drawn in x order.</param>
/// <param name="Connect">Join the points with lines.</param>
/// <param name="Hollow">Hollow markers.</param>
internal sealed record PlotSeries(string Name, Color Color, IReadOnlyList<(double X, double Y)> Points, bool Connect, bool Hollow = false);

/// <summary>Where a plot's data area landed in its picture, in pixels (top = 0).</summary>
internal readonly record struct PlotArea(double Left, double Top, double Right, double Bottom);

/// <summary>The evaluation's plots, drawn by ScottPlot in the shipped font (<see cref="PlotFont"/>).</summary>
internal static class Plots
{
    public static readonly Color White = new(255, 255, 255);
    public static readonly Color Black = new(0, 0, 0);
    public static readonly Color Blue = new(31, 119, 180);
    public static readonly Color Orange = new(255, 127, 14);
    public static readonly Color Grey = new(127, 127, 127);
    public static readonly Color Green = new(44, 160, 44);
    public static readonly Color Red = new(214, 39, 40);
    public static readonly Color Purple = new(148, 103, 189);

    /// <summary>Zoomed plots switch to a log y axis when the largest FID-proxy is more than this many times the smallest.</summary>
    public const double LogSpan = 8;

    private const int MarkerSize = 9;

    /// <summary>
    /// FID-proxy (y, from 0; or, <paramref name="zoom"/>ed, over the points' range: linear, never below 0, or
    /// logarithmic when the points span more than <see cref="LogSpan"/>×, so that a collapsed sweep in the thousands
    /// does not flatten the curves near the floor) against mean layers executed (x, ticks at whole layers up to
    /// <paramref name="depth"/>), with a dashed red line at the real-vs-real floor when in range and a legend below.
    /// Returns where the data area is in the picture.
    /// </summary>
    public static PlotArea Pareto(string path, IReadOnlyList<PlotSeries> series, double? floor, int depth, bool zoom = false)
    {
        double xMin = depth, yMax = zoom ? double.MinValue : floor ?? 0, yLow = double.MaxValue;
        foreach (PlotSeries s in series)
        {
            foreach ((double x, double y) in s.Points)
            {
                xMin = Math.Min(xMin, x);
                yMax = Math.Max(yMax, y);
                yLow = Math.Min(yLow, y);
            }
        }
        if (yLow > yMax)
        {
            yLow = 0;
            yMax = 1;
        }
        xMin = Math.Max(0, Math.Floor(xMin) - 1);
        double xMax = depth + 0.5;
        // Full view: y from 0 with the floor in sight. Zoomed: y spans the measured points only, on a log axis when
        // they span more than LogSpan×.
        bool log = zoom && yLow > 0 && yMax / yLow > LogSpan;
        double span = zoom ? Math.Max(yMax - yLow, Math.Abs(yMax) * 1e-6 + 1e-12) * 1.2 : (yMax <= 0 ? 1 : yMax * 1.1);
        double yStep = NiceStep(span, 6);
        double yBottom, yTop;
        if (log)
        {
            yBottom = yLow / 1.2;
            yTop = yMax * 1.2;
        }
        else if (zoom)
        {
            yBottom = Math.Floor((yLow - (0.1 * span)) / yStep) * yStep;
            yBottom = yLow >= 0 ? Math.Max(0, yBottom) : yBottom; // FID-proxy is never negative: no axis below 0
            yTop = Math.Ceiling((yMax + (0.1 * span)) / yStep) * yStep;
        }
        else
        {
            yBottom = 0;
            yTop = Math.Ceiling((yMax <= 0 ? 1 : yMax * 1.05) / yStep) * yStep;
        }
        // On the log axis ScottPlot plots log10(y); ticks carry the values themselves.
        double Y(double y) => log ? Math.Log10(y) : y;

        using Plot plot = NewPlot();
        if (floor is double f && f >= yBottom && f <= yTop)
        {
            var line = plot.Add.HorizontalLine(Y(f), 2, Red, LinePattern.Dashed);
            line.LegendText = "real-vs-real floor";
        }
        foreach (PlotSeries s in series)
        {
            var points = s.Points.Where(p => double.IsFinite(p.Y)).OrderBy(p => p.X).ToList();
            if (points.Count == 0)
            {
                continue;
            }
            double[] xs = [.. points.Select(p => p.X)];
            double[] ys = [.. points.Select(p => Y(Math.Clamp(p.Y, yBottom, yTop)))];
            var scatter = plot.Add.Scatter(xs, ys, s.Color);
            scatter.LineWidth = s.Connect ? 2 : 0;
            scatter.MarkerShape = s.Hollow ? MarkerShape.OpenSquare : MarkerShape.FilledSquare;
            scatter.MarkerSize = MarkerSize;
            scatter.MarkerLineWidth = 2;
            scatter.LegendText = s.Name;
        }

        var xTicks = new NumericManual();
        for (int tick = (int)Math.Ceiling(xMin); tick <= depth; tick++)
        {
            xTicks.AddMajor(tick, tick.ToString(CultureInfo.InvariantCulture));
        }
        plot.Axes.Bottom.TickGenerator = xTicks;
        var yTicks = new NumericManual();
        foreach ((double y, double step) in log ? LogTicks(yBottom, yTop) : LinearTicks(yBottom, yTop, yStep))
        {
            yTicks.AddMajor(Y(y), FormatTick(y, step));
        }
        plot.Axes.Left.TickGenerator = yTicks;
        plot.Axes.SetLimits(xMin, xMax, Y(yBottom), Y(yTop));
        plot.XLabel("mean layers executed");
        plot.YLabel(log ? "FID-proxy (log scale)" : "FID-proxy");
        plot.ShowLegend(Edge.Bottom);
        return Save(plot, path, 760, 560);
    }

    /// <summary>
    /// Fraction of images exiting at each layer (rows, layer 1 at the bottom) at each step (columns, first step on
    /// the left), white (0) to dark blue (1), with each step's mean exit layer as a red dot and the scale beside it.
    /// X ticks show timesteps.
    /// </summary>
    public static PlotArea Heatmap(string path, int[] timesteps, double[][] fractions, double[] meanExit, int depth)
    {
        int steps = timesteps.Length;
        var cells = new double[depth, Math.Max(steps, 1)]; // [row, column], row 0 drawn at the top: layer depth
        for (int s = 0; s < steps; s++)
        {
            for (int l = 0; l < depth; l++)
            {
                cells[depth - 1 - l, s] = Math.Clamp(fractions[s][l], 0, 1);
            }
        }
        using Plot plot = NewPlot();
        var heatmap = plot.Add.Heatmap(cells);
        heatmap.Colormap = new WhiteToBlue();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        heatmap.Extent = new CoordinateRect(-0.5, Math.Max(steps, 1) - 0.5, 0.5, depth + 0.5);
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = "fraction of images exiting";
        if (steps > 0)
        {
            var dots = plot.Add.Scatter(Enumerable.Range(0, steps).Select(s => (double)s).ToArray(), meanExit, Red);
            dots.LineWidth = 0;
            dots.MarkerShape = MarkerShape.FilledSquare;
            dots.MarkerSize = 6;
        }

        int cellWidth = Math.Max(4, Math.Min(40, 640 / Math.Max(steps, 1)));
        int every = Math.Max(1, (int)Math.Ceiling(36.0 / cellWidth)); // a tick label every ~36 pixels
        var xTicks = new NumericManual();
        for (int s = 0; s < steps; s += every)
        {
            xTicks.AddMajor(s, timesteps[s].ToString(CultureInfo.InvariantCulture));
        }
        plot.Axes.Bottom.TickGenerator = xTicks;
        var yTicks = new NumericManual();
        for (int l = 1; l <= depth; l++)
        {
            yTicks.AddMajor(l, l.ToString(CultureInfo.InvariantCulture));
        }
        plot.Axes.Left.TickGenerator = yTicks;
        plot.Axes.SetLimits(-0.5, Math.Max(steps, 1) - 0.5, 0.5, depth + 0.5);
        plot.HideGrid();
        plot.XLabel("timestep t, in sampling order (first step on the left)");
        plot.YLabel("exit layer");
        return Save(plot, path, (cellWidth * Math.Max(steps, 1)) + 200, (22 * depth) + 110);
    }

    /// <summary>A step of 1, 2 or 5 × 10^k giving at most about <paramref name="ticks"/> ticks over [0, span].</summary>
    public static double NiceStep(double span, int ticks)
    {
        double raw = span / Math.Max(ticks, 1);
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double norm = raw / magnitude;
        return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
    }

    private static Plot NewPlot()
    {
        PlotFont.UseInScottPlot();
        var plot = new Plot();
        plot.Axes.Top.FrameLineStyle.Width = 0; // an open frame: the axes' lines are the bottom and left ones
        plot.Axes.Right.FrameLineStyle.Width = 0;
        plot.Axes.Bottom.Label.Bold = false;
        plot.Axes.Left.Label.Bold = false;
        plot.Axes.Bottom.Label.FontSize = 15;
        plot.Axes.Left.Label.FontSize = 15;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        plot.Legend.FontSize = 13;
        return plot;
    }

    private static PlotArea Save(Plot plot, string path, int width, int height)
    {
        plot.SavePng(path, width, height);
        PixelRect area = plot.RenderManager.LastRender.DataRect;
        return new PlotArea(area.Left, area.Top, area.Right, area.Bottom);
    }

    private static IEnumerable<(double Value, double Step)> LinearTicks(double bottom, double top, double step)
    {
        for (double y = bottom; y <= top + (step / 2); y += step)
        {
            yield return (y, step);
        }
    }

    /// <summary>1, 2 and 5 times each power of ten between <paramref name="bottom"/> and <paramref name="top"/> (both &gt; 0).</summary>
    private static IEnumerable<(double Value, double Step)> LogTicks(double bottom, double top)
    {
        for (int power = (int)Math.Floor(Math.Log10(bottom)); power <= (int)Math.Ceiling(Math.Log10(top)); power++)
        {
            double decade = Math.Pow(10, power);
            foreach (int m in (int[])[1, 2, 5])
            {
                double y = m * decade;
                if (y >= bottom && y <= top)
                {
                    yield return (y, decade);
                }
            }
        }
    }

    private static string FormatTick(double value, double step)
    {
        int decimals = step >= 1 ? 0 : (int)Math.Ceiling(-Math.Log10(step));
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>White (0) to dark blue (1), linear in each channel: the heatmap's shade.</summary>
    private sealed class WhiteToBlue : IColormap
    {
        public string Name => "white to dark blue";

        public Color GetColor(double position)
        {
            double f = Math.Clamp(double.IsFinite(position) ? position : 0, 0, 1);
            return new Color((byte)(255 - (f * 247)), (byte)(255 - (f * 207)), (byte)(255 - (f * 148)));
        }
    }
}
