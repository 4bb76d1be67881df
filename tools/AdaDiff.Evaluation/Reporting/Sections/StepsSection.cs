using System.Text;
using AdaDiff.Engine;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>The sampler comparison: each sampler at its step count with and without exits at the chosen threshold.</summary>
internal sealed class StepsSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        EvalReport report = context.Report;
        EvalSettings s = context.Settings;
        if (!report.Runs.Any(r => r.Group == "steps"))
        {
            return;
        }
        // The main sampler's own pair (full depth and the chosen threshold) stands in for its comparison runs.
        var stepRuns = report.Runs.Where(r => r.Group == "steps" || ((r.Group is "full" or "adaptive") && r.Sampler == s.Sampler && r.Steps == s.Steps && (r.Group == "full" || r.Threshold == s.PictureThreshold))).ToList();
        markdown.AppendLine("## Fewer steps, with and without exits");
        markdown.AppendLine();
        markdown.AppendLine(Inv, $"Exits at threshold {s.PictureThreshold:0.####}. Layer-evaluations per image = steps × mean layers (one full network evaluation is {context.Depth}). Compare FID only against the floor of the same N.");
        markdown.AppendLine();
        markdown.AppendLine("| sampler | steps | N | exits | mean layers | layer-evaluations per image | FID-proxy | floor (same N) | class acc. | PSNR vs full (dB) |");
        markdown.AppendLine("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (RunRecord r in stepRuns.OrderBy(r => r.Sampler).ThenBy(r => r.Mode != ExitMode.FullDepth))
        {
            markdown.AppendLine(Inv, $"| {SamplerName(r.Sampler)} | {r.Steps} | {r.Samples} | {(r.Mode == ExitMode.FullDepth ? "no" : "yes")} | {r.MeanLayers:F2} | {r.MeanLayers * r.Steps:F0} | {Num(r.Fid, "F3")} | {Num(FloorAt(report, r.Samples), "F3")} | {Pct(r.ClassAccuracy)} | {Num(r.PsnrVsFull, "F2")} |");
        }
        markdown.AppendLine();
    }
}
