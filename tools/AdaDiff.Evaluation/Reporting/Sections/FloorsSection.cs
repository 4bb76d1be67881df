using System.Text;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>The real-vs-real floor at every sample size the report used.</summary>
internal sealed class FloorsSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        markdown.AppendLine("## Real-vs-real floors");
        markdown.AppendLine();
        markdown.AppendLine("| N | FID-proxy of N training images vs the test set |");
        markdown.AppendLine("|---:|---:|");
        foreach (FloorRecord f in context.Report.Floors)
        {
            markdown.AppendLine(Inv, $"| {f.Samples} | {f.Fid:F3} |");
        }
        markdown.AppendLine();
    }
}
