using AdaDiff.Engine;
using AdaDiff.Evaluation.Internal;

namespace AdaDiff.Evaluation.Reporting;

/// <summary>Writes the report's pictures and returns their file names (relative to the output folder).</summary>
internal static class ReportPictures
{
    public const string Pareto = "pareto.png";
    public const string ParetoZoom = "pareto-zoom.png";
    public const string Heatmap = "exit-heatmap.png";
    public const string SamplesFull = "samples-full.png";
    public const string SamplesAdaptive = "samples-adaptive.png";
    public const string UnconditionalFull = "unconditional-full.png";
    public const string UnconditionalAdaptive = "unconditional-adaptive.png";

    /// <summary>Images per class in the sample grids.</summary>
    private const int PerClass = 8;

    public static List<string> Write(string folder, EvalReport report, GeneratedSet full, GeneratedSet adaptive, GeneratedSet? uncondFull, GeneratedSet? uncondAdaptive, ModelManifest manifest)
    {
        List<string> written = WritePlots(folder, report);
        Plots.ImageGrid(Path.Combine(folder, SamplesFull), full.Images, manifest.Height, manifest.Width, ClassRows(full, manifest.NumClasses), labelRows: true);
        Plots.ImageGrid(Path.Combine(folder, SamplesAdaptive), adaptive.Images, manifest.Height, manifest.Width, ClassRows(adaptive, manifest.NumClasses), labelRows: true);
        written.Add(SamplesFull);
        written.Add(SamplesAdaptive);
        if (uncondFull is not null && uncondAdaptive is not null)
        {
            Plots.ImageGrid(Path.Combine(folder, UnconditionalFull), uncondFull.Images, manifest.Height, manifest.Width, Rows(uncondFull.Spec.Samples), labelRows: false);
            Plots.ImageGrid(Path.Combine(folder, UnconditionalAdaptive), uncondAdaptive.Images, manifest.Height, manifest.Width, Rows(uncondAdaptive.Spec.Samples), labelRows: false);
            written.Add(UnconditionalFull);
            written.Add(UnconditionalAdaptive);
        }
        return written;
    }

    /// <summary>The pictures drawn from the report's figures alone (the Pareto curves and the heatmap), so that <c>eval render</c> can redraw them.</summary>
    public static List<string> WritePlots(string folder, EvalReport report)
    {
        var written = new List<string>();
        double? floor = report.Floors.FirstOrDefault(f => f.Samples == report.Settings.Samples)?.Fid;
        List<PlotSeries> series = ParetoSeries(report);
        Plots.Pareto(Path.Combine(folder, Pareto), series, floor, report.Model.Depth);
        Plots.Pareto(Path.Combine(folder, ParetoZoom), series, floor, report.Model.Depth, zoom: true);
        written.Add(Pareto);
        written.Add(ParetoZoom);
        if (report.Heatmap is { } h)
        {
            Plots.Heatmap(Path.Combine(folder, Heatmap), h.Timesteps, h.Fractions, h.MeanExitLayer, report.Model.Depth);
            written.Add(Heatmap);
        }
        return written;
    }

    /// <summary>The plotted series, in legend order (the markdown names the colours).</summary>
    public static List<PlotSeries> ParetoSeries(EvalReport report)
    {
        List<(double, double)> Points(params string[] groups) =>
            [.. groups.SelectMany(g => Curves.Sweep(report, g)).Where(r => r.Fid is not null).Select(r => (r.MeanLayers, r.Fid!.Value))];
        var series = new List<PlotSeries>
        {
            new("static truncation (FIXED_DEPTH) + full depth", Plots.Grey, Points("static", "full"), Connect: true, Hollow: true),
            new("per-batch decision", Plots.Orange, Points("per-batch"), Connect: true),
            new("per-sample exits (ours)", Plots.Blue, Points("adaptive"), Connect: true),
            new("full depth", Plots.Black, Points("full"), Connect: false),
        };
        var schedule = Points("schedule");
        if (schedule.Count > 0)
        {
            series.Add(new("timestep schedule", Plots.Purple, schedule, Connect: false));
        }
        var baseline = Points("baseline");
        if (baseline.Count > 0)
        {
            string label = report.Runs.First(r => r.Group == "baseline").Package;
            series.Insert(2, new($"{label} (baseline package)", Plots.Green, baseline, Connect: true));
        }
        return series;
    }

    private static List<int[]> ClassRows(GeneratedSet set, int classes)
    {
        var rows = new List<int[]>();
        for (int c = 0; c < classes; c++)
        {
            var row = new List<int>();
            for (int i = 0; i < set.Labels.Length && row.Count < PerClass; i++)
            {
                if (set.Labels[i] == c)
                {
                    row.Add(i);
                }
            }
            rows.Add([.. row]);
        }
        return rows;
    }

    private static List<int[]> Rows(int count)
    {
        var rows = new List<int[]>();
        for (int start = 0; start < count; start += PerClass)
        {
            rows.Add(Enumerable.Range(start, Math.Min(PerClass, count - start)).ToArray());
        }
        return rows;
    }
}
