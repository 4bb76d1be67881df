using System.Globalization;
using SixLabors.ImageSharp.PixelFormats;

namespace AdaDiff.Evaluation.Reporting;

/// <summary>A series of a line plot.</summary>
/// <param name="Name">Legend name (the markdown carries the legend).</param>
/// <param name="Color">Colour.</param>
/// <param name="Points">(x, y) points, drawn in x order.</param>
/// <param name="Connect">Join the points with lines.</param>
/// <param name="Hollow">Hollow markers.</param>
internal sealed record PlotSeries(string Name, Rgb24 Color, IReadOnlyList<(double X, double Y)> Points, bool Connect, bool Hollow = false);

/// <summary>The evaluation's pictures, drawn pixel by pixel.</summary>
internal static class Plots
{
    public static readonly Rgb24 White = new(255, 255, 255);
    public static readonly Rgb24 Black = new(0, 0, 0);
    public static readonly Rgb24 Grid = new(225, 225, 225);
    public static readonly Rgb24 Blue = new(31, 119, 180);
    public static readonly Rgb24 Orange = new(255, 127, 14);
    public static readonly Rgb24 Grey = new(127, 127, 127);
    public static readonly Rgb24 Green = new(44, 160, 44);
    public static readonly Rgb24 Red = new(214, 39, 40);
    public static readonly Rgb24 Purple = new(148, 103, 189);

    private const int Scale = 2;

    /// <summary>
    /// FID-proxy (y, from 0; or, <paramref name="zoom"/>ed, over the points' range: linear, never below 0, or
    /// logarithmic when the points span more than <see cref="LogSpan"/>×, so that a collapsed sweep in the thousands
    /// does not flatten the curves near the floor) against mean layers executed (x, integer ticks up to
    /// <paramref name="depth"/>), with a dashed horizontal line at the real-vs-real floor when in range. Tick labels
    /// in the built-in font.
    /// </summary>
    public static void Pareto(string path, IReadOnlyList<PlotSeries> series, double? floor, int depth, bool zoom = false)
    {
        const int width = 760, height = 500, left = 80, right = 24, top = 36, bottom = 60;
        var canvas = new Canvas(width, height, White);
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
        int plotW = width - left - right, plotH = height - top - bottom;
        double Px(double x) => left + ((x - xMin) / (xMax - xMin) * plotW);
        double Py(double y) => log
            ? top + plotH - ((Math.Log(y / yBottom) / Math.Log(yTop / yBottom)) * plotH)
            : top + plotH - ((y - yBottom) / (yTop - yBottom) * plotH);

        for (int tick = (int)Math.Ceiling(xMin); tick <= depth; tick++)
        {
            double x = Px(tick);
            canvas.Line(x, top, x, top + plotH, Grid);
            canvas.Line(x, top + plotH, x, top + plotH + 6, Black, 2);
            string label = tick.ToString(CultureInfo.InvariantCulture);
            canvas.Text((int)x - (BitmapFont.Measure(label, Scale) / 2), top + plotH + 12, label, Black, Scale);
        }
        foreach ((double y, double step) in log ? LogTicks(yBottom, yTop) : LinearTicks(yBottom, yTop, yStep))
        {
            double py = Py(y);
            canvas.Line(left, py, left + plotW, py, Grid);
            canvas.Line(left - 6, py, left, py, Black, 2);
            string label = FormatTick(y, step);
            canvas.Text(left - 10 - BitmapFont.Measure(label, Scale), (int)py - 5, label, Black, Scale);
        }
        canvas.Line(left, top, left, top + plotH, Black, 2);
        canvas.Line(left, top + plotH, left + plotW, top + plotH, Black, 2);
        canvas.Text(8, 8, log ? "FID (LOG SCALE)" : "FID", Black, Scale + 1);
        string xLabel = "MEAN LAYERS";
        canvas.Text(left + (plotW / 2) - (BitmapFont.Measure(xLabel, Scale + 1) / 2), height - 22, xLabel, Black, Scale + 1);

        if (floor is double f && f >= yBottom && f <= yTop)
        {
            canvas.Line(left, Py(f), left + plotW, Py(f), Red, 2, dash: 8);
        }
        foreach (PlotSeries s in series)
        {
            var points = s.Points.OrderBy(p => p.X).ToList();
            if (s.Connect)
            {
                for (int i = 1; i < points.Count; i++)
                {
                    canvas.Line(Px(points[i - 1].X), Py(points[i - 1].Y), Px(points[i].X), Py(points[i].Y), s.Color, 2);
                }
            }
            foreach ((double x, double y) in points)
            {
                canvas.Marker(Px(x), Py(Math.Clamp(y, yBottom, yTop)), 9, s.Color, s.Hollow);
            }
        }
        canvas.Save(path);
    }

    /// <summary>
    /// Fraction of images exiting at each layer (rows, layer 1 at the bottom) at each step (columns, first step on
    /// the left), white (0) to dark blue (1), with each step's mean exit layer as a red dot. X ticks show timesteps.
    /// </summary>
    public static void Heatmap(string path, int[] timesteps, double[][] fractions, double[] meanExit, int depth)
    {
        int steps = timesteps.Length;
        int cellW = Math.Max(2, Math.Min(40, 640 / Math.Max(steps, 1))), cellH = 22;
        const int left = 50, top = 20, bottom = 50, right = 16;
        int width = left + (cellW * steps) + right, height = top + (cellH * depth) + bottom;
        var canvas = new Canvas(width, height, White);
        for (int s = 0; s < steps; s++)
        {
            for (int l = 0; l < depth; l++)
            {
                double f = Math.Clamp(fractions[s][l], 0, 1);
                var color = new Rgb24((byte)(255 - (f * 247)), (byte)(255 - (f * 207)), (byte)(255 - (f * 148)));
                canvas.FillRect(left + (s * cellW), top + ((depth - 1 - l) * cellH), cellW, cellH, color);
            }
        }
        for (int s = 0; s < steps; s++)
        {
            double y = top + ((depth - meanExit[s] + 0.5) * cellH);
            canvas.Marker(left + (s * cellW) + (cellW / 2.0), y, Math.Max(3, Math.Min(cellW, 7)), Red);
        }
        for (int l = 1; l <= depth; l++)
        {
            string label = l.ToString(CultureInfo.InvariantCulture);
            canvas.Text(left - 8 - BitmapFont.Measure(label, Scale), top + ((depth - l) * cellH) + 6, label, Black, Scale);
        }
        int labelWidth = BitmapFont.Measure(timesteps.Length == 0 ? "0" : timesteps.Max().ToString(CultureInfo.InvariantCulture), Scale) + 12;
        int every = Math.Max(1, (int)Math.Ceiling((double)labelWidth / cellW));
        for (int s = 0; s < steps; s += every)
        {
            string label = timesteps[s].ToString(CultureInfo.InvariantCulture);
            int x = left + (s * cellW) + (cellW / 2);
            canvas.Line(x, top + (depth * cellH), x, top + (depth * cellH) + 5, Black, 2);
            canvas.Text(x - (BitmapFont.Measure(label, Scale) / 2), top + (depth * cellH) + 10, label, Black, Scale);
        }
        canvas.Text(left, height - 16, "T", Black, Scale);
        canvas.Save(path);
    }

    /// <summary>
    /// Rows of grey images (one row per entry of <paramref name="rows"/>, each a list of image indices into
    /// <paramref name="images"/> [N, H, W]), upscaled ×2 with 2-pixel gaps; rows are labelled with their index.
    /// </summary>
    public static void ImageGrid(string path, ReadOnlySpan<float> images, int imageHeight, int imageWidth, IReadOnlyList<int[]> rows, bool labelRows)
    {
        const int scale = 2, gap = 2;
        int left = labelRows ? 24 : gap;
        int columns = rows.Count == 0 ? 0 : rows.Max(r => r.Length);
        int width = left + (columns * ((imageWidth * scale) + gap));
        int height = gap + (rows.Count * ((imageHeight * scale) + gap));
        var canvas = new Canvas(Math.Max(width, 1), Math.Max(height, 1), new Rgb24(40, 40, 40));
        int size = imageHeight * imageWidth;
        for (int r = 0; r < rows.Count; r++)
        {
            int y = gap + (r * ((imageHeight * scale) + gap));
            if (labelRows)
            {
                canvas.Text(6, y + (imageHeight * scale / 2) - 5, r.ToString(CultureInfo.InvariantCulture), White, Scale);
            }
            for (int c = 0; c < rows[r].Length; c++)
            {
                canvas.Grey(left + (c * ((imageWidth * scale) + gap)), y, images.Slice(rows[r][c] * size, size), imageHeight, imageWidth, scale);
            }
        }
        canvas.Save(path);
    }

    /// <summary>A step of 1, 2 or 5 × 10^k giving at most about <paramref name="ticks"/> ticks over [0, span].</summary>
    public static double NiceStep(double span, int ticks)
    {
        double raw = span / Math.Max(ticks, 1);
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double norm = raw / magnitude;
        return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
    }

    /// <summary>Zoomed plots switch to a log y axis when the largest FID-proxy is more than this many times the smallest.</summary>
    public const double LogSpan = 8;

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
}
