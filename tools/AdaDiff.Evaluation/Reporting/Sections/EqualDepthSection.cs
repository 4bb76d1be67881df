using System.Text;
using AdaDiff.Evaluation.Metrics;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>Each per-sample point against the other policies interpolated to its mean depth.</summary>
internal sealed class EqualDepthSection : IReportSection
{
    /// <summary>"+0.123 [−0.2, +0.4]", bold when the interval excludes 0; — without one.</summary>
    public static string Difference(ConfidenceInterval? d)
    {
        if (d is null)
        {
            return "—";
        }
        string text = string.Create(Inv, $"{d.Estimate:+0.000;-0.000} [{d.Low:+0.00;-0.00}, {d.High:+0.00;-0.00}]");
        return d.ExcludesZero ? $"**{text}**" : text;
    }

    public void Write(StringBuilder markdown, ReportContext context)
    {
        markdown.AppendLine("## At equal mean depth");
        markdown.AppendLine();
        markdown.AppendLine("Each per-sample point against the other policies' FID-proxy linearly interpolated to the same mean depth between their measured points (— where the point lies outside their measured range). "
            + "Δ static is FID per-sample − FID static with its 95% paired bootstrap interval over the images (the same resampled seeds in every arm); **bold** where the interval excludes 0, the only case in which one policy is said to beat the other.");
        markdown.AppendLine();
        markdown.AppendLine("| threshold | mean layers | fewer layers | FID per-sample | FID per-batch | FID static | Δ static [95% CI] | FID baseline | class acc. per-sample | class acc. static |");
        markdown.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (EqualDepthRecord e in context.Report.EqualDepth)
        {
            markdown.AppendLine(Inv, $"| {e.Threshold:0.####} | {e.MeanLayers:F2} | {1 - (e.MeanLayers / context.Depth):P1} | {e.FidPerSample:F3} | {Num(e.FidPerBatch, "F3")} | {Num(e.FidStatic, "F3")} | {Difference(e.StaticDifference)} | {Num(e.FidBaseline, "F3")} | {Pct(e.AccuracyPerSample)} | {Pct(e.AccuracyStatic)} |");
        }
        markdown.AppendLine();
    }
}
