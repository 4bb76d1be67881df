using System.Globalization;
using System.Text;
using System.Text.Json;
using SkiaSharp;

namespace AdaDiff.Soak;

/// <summary>The soak's outputs: the console table, <c>&lt;out&gt;.json</c>, <c>&lt;out&gt;.md</c> and <c>&lt;out&gt;.png</c>.</summary>
internal static class Reports
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Series of the plot, with their colours (named in the markdown, as the image carries no text).</summary>
    private static readonly (string Name, SKColor Colour, Func<Sample, double> Value)[] Plotted =
    [
        ("RSS", new SKColor(214, 39, 40), s => s.RssBytes),
        ("managed heap", new SKColor(31, 119, 180), s => s.HeapBytes),
        ("threads", new SKColor(44, 160, 44), s => s.Threads),
        ("fds", new SKColor(255, 127, 14), s => s.Fds),
    ];

    public static string Table(SoakResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"{"resource",-8} {"baseline",14} {"end",14} {"growth",8}  verdict");
        foreach (ResourceGrowth g in r.Verdict.Resources)
        {
            sb.AppendLine(Inv, $"{g.Resource,-8} {Format(g.Resource, g.Baseline),14} {Format(g.Resource, g.End),14} {g.GrowthPercent,7:F1}%  {(g.Passed ? "ok" : "GREW")}");
        }
        sb.AppendLine(Inv, $"calls {r.Calls}, errors {r.Errors}, unexpected outcomes {r.Unexpected}; after the load: generations {r.Verdict.GenerationsActiveAfter}, queue {r.Verdict.QueueDepthAfter}");
        sb.AppendLine(Inv, $"outcomes: {string.Join(", ", r.Outcomes.Select(o => $"{o.Key} {o.Value}"))}");
        foreach (string e in r.ErrorExamples)
        {
            sb.AppendLine(Inv, $"  e.g. {e}");
        }
        sb.AppendLine(r.Verdict.Passed ? "verdict: PASS" : "verdict: FAIL: " + string.Join("; ", r.Verdict.Failures));
        return sb.ToString();
    }

    public static void Write(SoakResult r, string command)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(r.Options.Out));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }
        File.WriteAllText(r.Options.Out + ".json", JsonSerializer.Serialize(new { command, result = r }, Json) + "\n");
        File.WriteAllText(r.Options.Out + ".md", Markdown(r, command, Path.GetFileName(r.Options.Out) + ".png"));
        Plot(r.Samples, r.Options.Out + ".png");
    }

    private static string Markdown(SoakResult r, string command, string png)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Soak");
        sb.AppendLine();
        sb.AppendLine(Inv, $"`{command}`, started {r.StartedAt:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores: {r.Options.Streams} concurrent Generate streams for {r.LoadSeconds:F0} s, a sample every {r.Options.IntervalSeconds} s; the first {r.Verdict.WarmupSamples} samples are warm-up.");
        sb.AppendLine();
        sb.AppendLine(r.Verdict.Passed ? "**Verdict: PASS**" : "**Verdict: FAIL**: " + string.Join("; ", r.Verdict.Failures));
        sb.AppendLine();
        sb.AppendLine("| resource | baseline (median of the first 3 after warm-up) | end (median of the last 3) | growth | limit |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        foreach (ResourceGrowth g in r.Verdict.Resources)
        {
            sb.AppendLine(Inv, $"| {g.Resource} | {Format(g.Resource, g.Baseline)} | {Format(g.Resource, g.End)} | {g.GrowthPercent:F1}% {(g.Passed ? "" : "**(grew)**")} | {VerdictRule.MaxGrowth * 100:F0}% |");
        }
        sb.AppendLine();
        sb.AppendLine(Inv, $"Calls {r.Calls}, errors (UNKNOWN, INTERNAL, UNAVAILABLE, DATA_LOSS, transport) {r.Errors}, other unexpected outcomes {r.Unexpected}; after the load `adadiff_generations_active` {r.Verdict.GenerationsActiveAfter} and `adadiff_queue_depth` {r.Verdict.QueueDepthAfter}; the server exited with {(r.ServerExitCode?.ToString(Inv) ?? "a kill")} after SIGTERM.");
        sb.AppendLine();
        sb.AppendLine("Outcomes seen by the client (kind: status): " + string.Join(", ", r.Outcomes.Select(o => $"{o.Key} {o.Value}")) + ".");
        sb.AppendLine();
        sb.AppendLine(Inv, $"![RSS (red), managed heap (blue), threads (green) and fds (orange), each scaled to its own maximum; grey: the end of the warm-up]({png})");
        sb.AppendLine();
        sb.AppendLine("| elapsed s | phase | calls | errors | RSS MiB | heap MiB | working set MiB | threads | pool threads | fds | images | active | queue | requests by code |");
        sb.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (Sample s in r.Samples)
        {
            string codes = string.Join(" ", s.RequestsByCode.Select(c => $"{c.Key} {c.Value:F0}"));
            sb.AppendLine(Inv, $"| {s.ElapsedSeconds:F0} | {s.Phase} | {s.CallsDone} | {s.Errors} | {SoakRunner.Mib(s.RssBytes):F1} | {SoakRunner.Mib(s.HeapBytes):F1} | {SoakRunner.Mib(s.WorkingSetBytes):F1} | {s.Threads} | {s.ThreadPoolThreads:F0} | {s.Fds} | {s.Images:F0} | {s.GenerationsActive:F0} | {s.QueueDepth:F0} | {codes} |");
        }
        return sb.ToString();
    }

    private static string Format(string resource, double value) =>
        resource is "rss" or "heap" ? string.Create(Inv, $"{SoakRunner.Mib(value):F1} MiB") : value.ToString("F0", Inv);

    /// <summary>
    /// Lines of each series scaled to its own maximum, on a white ground with quarter grid lines and a grey line where
    /// the warm-up ends (no text: the legend is in the markdown), drawn with SkiaSharp.
    /// </summary>
    internal static void Plot(IReadOnlyList<Sample> samples, string path)
    {
        const int width = 900, height = 400, margin = 20;
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var grid = new SKPaint { Color = new SKColor(225, 225, 225), StrokeWidth = 1 };
            for (int q = 0; q <= 4; q++)
            {
                int y = margin + (height - 2 * margin) * q / 4;
                canvas.DrawLine(margin, y, width - margin, y, grid);
            }
            var load = samples.Where(s => s.Phase == "load").ToList();
            if (samples.Count >= 2)
            {
                double t0 = 0, t1 = Math.Max(1, samples[^1].ElapsedSeconds);
                float X(double t) => margin + (float)((width - 2 * margin) * (t - t0) / (t1 - t0));
                int warm = VerdictRule.WarmupCount(load.Count);
                if (warm < load.Count)
                {
                    float xw = X(load[warm].ElapsedSeconds);
                    using var warmup = new SKPaint { Color = new SKColor(150, 150, 150), StrokeWidth = 1 };
                    canvas.DrawLine(xw, margin, xw, height - margin, warmup);
                }
                foreach ((_, SKColor colour, Func<Sample, double> value) in Plotted)
                {
                    double max = samples.Max(value);
                    if (!(max > 0))
                    {
                        continue;
                    }
                    float Y(Sample s) => height - margin - (float)((height - 2 * margin) * value(s) / max);
                    using var series = new SKPath();
                    series.MoveTo(X(samples[0].ElapsedSeconds), Y(samples[0]));
                    for (int i = 1; i < samples.Count; i++)
                    {
                        series.LineTo(X(samples[i].ElapsedSeconds), Y(samples[i]));
                    }
                    using var line = new SKPaint { Color = colour, StrokeWidth = 2, Style = SKPaintStyle.Stroke, IsAntialias = true };
                    canvas.DrawPath(series, line);
                }
            }
        }
        using SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, png.ToArray());
    }
}
