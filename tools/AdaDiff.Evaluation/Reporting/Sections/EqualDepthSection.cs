using System.Text;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>Each per-sample point against the other policies interpolated to its mean depth.</summary>
internal sealed class EqualDepthSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        markdown.AppendLine("## At equal mean depth");
        markdown.AppendLine();
        markdown.AppendLine("Each per-sample point against the other policies' FID-proxy linearly interpolated to the same mean depth between their measured points (— where the point lies outside their measured range).");
        markdown.AppendLine();
        markdown.AppendLine("| threshold | mean layers | fewer layers | FID per-sample | FID per-batch | FID static | FID baseline | class acc. per-sample | class acc. static |");
        markdown.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (EqualDepthRecord e in context.Report.EqualDepth)
        {
            markdown.AppendLine(Inv, $"| {e.Threshold:0.####} | {e.MeanLayers:F2} | {1 - (e.MeanLayers / context.Depth):P1} | {e.FidPerSample:F3} | {Num(e.FidPerBatch, "F3")} | {Num(e.FidStatic, "F3")} | {Num(e.FidBaseline, "F3")} | {Pct(e.AccuracyPerSample)} | {Pct(e.AccuracyStatic)} |");
        }
        markdown.AppendLine();
    }
}
