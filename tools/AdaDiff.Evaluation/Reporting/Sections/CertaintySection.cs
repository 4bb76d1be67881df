using System.Text;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>The certainty probe: mean certainty after each layer, and the thresholds chosen on it.</summary>
internal sealed class CertaintySection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        EvalReport report = context.Report;
        int depth = context.Depth;
        markdown.AppendLine("## Certainty profile and thresholds");
        markdown.AppendLine();
        markdown.AppendLine(Inv, $"Mean certainty (the UEM's per-pixel certainty averaged over pixels) after each layer, on {report.Probe.Rows} test images noised to uniformly random timesteps:");
        markdown.AppendLine();
        markdown.AppendLine("| layer | " + string.Join(" | ", Enumerable.Range(1, depth)) + " |");
        markdown.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", depth)));
        markdown.AppendLine("| certainty | " + string.Join(" | ", report.Probe.MeanCertaintyPerLayer.Select(c => c.ToString("F3", Inv))) + " |");
        markdown.AppendLine();
        if (report.Probe.Choices.Count == 0)
        {
            return;
        }
        markdown.AppendLine("Thresholds were chosen automatically on that probe (bisection on the mean exit layer the per-sample rule gives there), to save the target fraction of layers; the model's default threshold is swept too. Generated images are not noised test images, so the measured depth differs from the probe's:");
        markdown.AppendLine();
        markdown.AppendLine("| target fewer layers | threshold | mean layers on the probe | mean layers measured |");
        markdown.AppendLine("|---:|---:|---:|---:|");
        foreach (ThresholdChoice c in report.Probe.Choices)
        {
            RunRecord? run = report.Runs.FirstOrDefault(r => r.Group == "adaptive" && r.Threshold == c.Threshold);
            markdown.AppendLine(Inv, $"| {c.TargetSaved:P0} | {c.Threshold:0.####} | {c.ProbeMeanLayers:F2} | {Num(run?.MeanLayers, "F2")} |");
        }
        markdown.AppendLine();
    }
}
