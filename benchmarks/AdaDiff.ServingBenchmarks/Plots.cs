using ScottPlot;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// The PNG plots (ScottPlot, drawn by SkiaSharp without a display): images/s against concurrency (server solid,
/// in-process dashed), and the server's latency per call and time to first step (p50 solid, p99 dashed; log₁₀ axes, as
/// queueing beyond MaxActiveJobs stretches them by orders of magnitude). Concurrency is on a log₂ axis labelled with the
/// stream counts; every point is a median over the rounds.
/// </summary>
public static class Plots
{
    private const int Width = 900;
    private const int Height = 520;

    private static readonly Dictionary<(string Backend, string Mode), Color> Colours = new()
    {
        [("onnxruntime", "full")] = Color.FromHex("#1f77b4"),
        [("onnxruntime", "adaptive")] = Color.FromHex("#ff7f0e"),
        [("torchsharp", "full")] = Color.FromHex("#2ca02c"),
        [("torchsharp", "adaptive")] = Color.FromHex("#d62728"),
    };

    /// <summary>Writes <c>&lt;outPrefix&gt;-throughput.png</c>, <c>-latency.png</c> and <c>-ttfs.png</c>; returns their paths (none without server or in-process figures).</summary>
    public static IReadOnlyList<string> Write(Analysis analysis, string outPrefix)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        List<ConfigSummary> served = [.. analysis.Configs.Where(c => c.Config.Path != BenchPath.PyTorch && !c.Config.Previews)];
        if (served.Count == 0)
        {
            return [];
        }
        int[] streams = [.. analysis.Result.Settings.Concurrency.Order()];
        var written = new List<string>();

        string throughput = outPrefix + "-throughput.png";
        Draw(throughput, "Images/s against concurrent streams (DDIM-20, guidance 3, one image per call)", "images/s", streams, logY: false, plot =>
        {
            foreach (BenchPath path in new[] { BenchPath.Server, BenchPath.InProcess })
            {
                Lines(plot, served, path, streams, c => c.ImagesPerSecond.Median, path == BenchPath.InProcess, path == BenchPath.Server ? "server" : "in-process", logY: false);
            }
        });
        written.Add(throughput);

        string latency = outPrefix + "-latency.png";
        Draw(latency, "Server: latency per call against concurrent streams", "seconds per call (log scale)", streams, logY: true, plot =>
        {
            Lines(plot, served, BenchPath.Server, streams, c => c.LatencyP50.Median, false, "p50", logY: true);
            Lines(plot, served, BenchPath.Server, streams, c => c.LatencyP99.Median, true, "p99", logY: true);
        });
        written.Add(latency);

        string ttfs = outPrefix + "-ttfs.png";
        Draw(ttfs, "Server: time to first step against concurrent streams", "milliseconds to the first step (log scale)", streams, logY: true, plot =>
        {
            Lines(plot, served, BenchPath.Server, streams, c => c.FirstStepP50.Median * 1000, false, "p50", logY: true);
            Lines(plot, served, BenchPath.Server, streams, c => c.FirstStepP99.Median * 1000, true, "p99", logY: true);
        });
        written.Add(ttfs);
        return written;
    }

    private static void Draw(string path, string title, string yLabel, int[] streams, bool logY, Action<Plot> add)
    {
        using var plot = new Plot();
        add(plot);
        plot.Title(title);
        plot.XLabel("concurrent streams");
        plot.YLabel(yLabel);
        double[] positions = [.. streams.Select(X)];
        string[] labels = [.. streams.Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, labels);
        plot.Axes.AutoScale();
        AxisLimits limits = plot.Axes.GetLimits();
        if (logY)
        {
            // values are log10 of the figure: a labelled tick per decade, minor ticks at 2..9 times it
            double bottom = Math.Floor(limits.Bottom);
            double top = Math.Max(Math.Ceiling(limits.Top), bottom + 1);
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            for (double decade = bottom; decade <= top; decade++)
            {
                ticks.AddMajor(decade, Math.Pow(10, decade).ToString("#,##0.####", System.Globalization.CultureInfo.InvariantCulture));
                for (int k = 2; k <= 9 && decade < top; k++)
                {
                    ticks.AddMinor(decade + Math.Log10(k));
                }
            }
            plot.Axes.Left.TickGenerator = ticks;
            plot.Axes.SetLimits(positions.Min() - 0.3, positions.Max() + 0.3, bottom, top);
        }
        else
        {
            plot.Axes.SetLimits(positions.Min() - 0.3, positions.Max() + 0.3, 0, Math.Max(limits.Top * 1.08, 1e-9)); // from 0: ratios read off the plot
        }
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
    }

    private static void Lines(Plot plot, List<ConfigSummary> served, BenchPath path, int[] streams, Func<ConfigSummary, double> value, bool dashed, string label, bool logY)
    {
        foreach (((string backend, string mode), Color colour) in Colours)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            foreach (int n in streams)
            {
                ConfigSummary? c = served.FirstOrDefault(s => s.Config.Path == path && s.Config.Backend == backend && s.Config.Mode == mode && s.Config.Streams == n);
                double y = c is null ? double.NaN : value(c);
                if (logY)
                {
                    y = y > 0 ? Math.Log10(y) : double.NaN;
                }
                if (double.IsFinite(y))
                {
                    xs.Add(X(n));
                    ys.Add(y);
                }
            }
            if (xs.Count == 0)
            {
                continue;
            }
            var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            line.Color = colour;
            line.LineWidth = 2;
            line.MarkerSize = 7;
            line.LinePattern = dashed ? LinePattern.Dashed : LinePattern.Solid;
            line.LegendText = $"{backend} {mode}, {label}";
        }
    }

    private static double X(int streams) => Math.Log2(streams);
}
