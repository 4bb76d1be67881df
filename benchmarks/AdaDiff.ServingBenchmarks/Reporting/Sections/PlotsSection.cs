using System.Text;
using static AdaDiff.ServingBenchmarks.Reporting.ReportFormat;

namespace AdaDiff.ServingBenchmarks.Reporting.Sections;

/// <summary>The plots <see cref="Plots.Write"/> drew, linked from the markdown (only when there are any).</summary>
internal sealed class PlotsSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        if (context.Plots.Count == 0)
        {
            return;
        }
        markdown.AppendLine("### Plots");
        markdown.AppendLine();
        markdown.AppendLine("Medians over the rounds; solid lines the server, dashed in-process (throughput), dashed p99 (latency, TTFS).");
        markdown.AppendLine();
        foreach (string plot in context.Plots)
        {
            markdown.AppendLine(Inv, $"![{Path.GetFileNameWithoutExtension(plot)}]({plot})");
            markdown.AppendLine();
        }
    }
}
