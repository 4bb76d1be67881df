using System.Text;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>FID-proxy against mean layers executed: every policy's sweep on one plot, from 0 and zoomed.</summary>
internal sealed class ParetoSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        EvalSettings s = context.Settings;
        markdown.AppendLine("## FID-proxy against mean layers executed");
        markdown.AppendLine();
        markdown.AppendLine("| FID-proxy from 0, with the floor | zoomed to the measured points |");
        markdown.AppendLine("|---|---|");
        markdown.AppendLine(Inv, $"| ![Pareto curve]({context.Picture(ReportPictures.Pareto)}) | ![Pareto curve, zoomed]({context.Picture(ReportPictures.ParetoZoom)}) |");
        markdown.AppendLine();
        markdown.AppendLine(Inv, $"{SamplerName(s.Sampler)}-{s.Steps}, N = {s.Samples}. Blue ■: per-sample exits (this project), one point per threshold. Orange ■: the per-batch decision of the official code. Grey □: static truncation (FIXED_DEPTH) and full depth. Green ■ (if present): the baseline package. Purple ■ (if present): the timestep schedule. Red dashed line: real-vs-real floor. X axis: mean layers executed (ticks at whole layers, {context.Depth} = full depth); Y axis: FID-proxy, from 0 on the left, over the points' range on the right, logarithmic there when they span more than {Plots.LogSpan:0}× (tick values printed on the axes).");
        markdown.AppendLine();
    }

    public IEnumerable<string> WritePlots(string folder, EvalReport report)
    {
        double? floor = FloorAt(report, report.Settings.Samples);
        List<PlotSeries> series = Series(report);
        Plots.Pareto(Path.Combine(folder, ReportPictures.Pareto), series, floor, report.Model.Depth);
        Plots.Pareto(Path.Combine(folder, ReportPictures.ParetoZoom), series, floor, report.Model.Depth, zoom: true);
        return [ReportPictures.Pareto, ReportPictures.ParetoZoom];
    }

    /// <summary>The plotted series, in legend order (the markdown names the colours).</summary>
    public static List<PlotSeries> Series(EvalReport report)
    {
        List<(double, double)> Points(params string[] groups) =>
            [.. groups.SelectMany(g => Internal.Curves.Sweep(report, g)).Where(r => r.Fid is not null).Select(r => (r.MeanLayers, r.Fid!.Value))];
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
}
