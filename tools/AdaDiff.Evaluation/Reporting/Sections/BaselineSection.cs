using System.Text;
using AdaDiff.Engine;
using AdaDiff.Evaluation.Internal;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>The baseline package's sweep beside this model's per-sample curve at the same mean depth.</summary>
internal sealed class BaselineSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        List<RunRecord> baseline = [.. context.Report.Runs.Where(r => r.Group == "baseline").OrderBy(r => r.MeanLayers)];
        if (baseline.Count == 0)
        {
            return;
        }
        int depth = context.Depth;
        RunRecord full = context.Sweep("full").First();
        List<RunRecord> ours = [.. context.Sweep("adaptive").Append(full)];
        var oursFid = Curves.Curve(ours, r => r.Fid);
        var oursAccuracy = Curves.Curve(ours, r => r.ClassAccuracy);
        markdown.AppendLine(Inv, $"## Baseline package: {baseline[0].Package}");
        markdown.AppendLine();
        markdown.AppendLine("Swept with the same sampler, seeds and guidance; its thresholds come from its own certainty probe (the same targets of layers saved). Each point against this model's per-sample exits interpolated to the same mean depth (— outside their range); a positive Δ means this model is better there.");
        markdown.AppendLine();
        markdown.AppendLine("| threshold | mean layers | fewer layers | FID-proxy | ours at that depth | Δ FID-proxy | class acc. | ours at that depth | PSNR vs its full depth (dB) |");
        markdown.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (RunRecord r in baseline)
        {
            double? of = Curves.Interpolate(oursFid, r.MeanLayers), oa = Curves.Interpolate(oursAccuracy, r.MeanLayers);
            string delta = of is double o && r.Fid is double f ? (f - o).ToString("+0.000;-0.000", Inv) : "—";
            string threshold = r.Mode == ExitMode.FullDepth ? "full depth" : r.Threshold?.ToString("0.####", Inv) ?? "—";
            markdown.AppendLine(Inv, $"| {threshold} | {r.MeanLayers:F2} | {1 - (r.MeanLayers / depth):P1} | {Num(r.Fid, "F3")} | {Num(of, "F3")} | {delta} | {Pct(r.ClassAccuracy)} | {Pct(oa)} | {Num(r.PsnrVsFull, "F2")} |");
        }
        markdown.AppendLine();
    }
}
