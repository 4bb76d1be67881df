using System.Text;
using static AdaDiff.ServingBenchmarks.Reporting.ReportFormat;

namespace AdaDiff.ServingBenchmarks.Reporting.Sections;

/// <summary>Each target with its figure and limit, missed ones in bold.</summary>
internal sealed class TargetsSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        markdown.AppendLine("### Targets");
        markdown.AppendLine();
        markdown.AppendLine("Benchmark figures, not tests: a target is met when its median is.");
        markdown.AppendLine();
        markdown.AppendLine("| target | configuration | figure: median (min–max) | target | |");
        markdown.AppendLine("|---|---|---:|---:|---|");
        foreach (Target t in context.Targets)
        {
            markdown.AppendLine(Inv, $"| {t.Group} | {t.Name} | {t.FigureText} | {t.LimitText} | {(t.Status == TargetStatus.Missed ? "**missed**" : t.StatusText)} |");
        }
        markdown.AppendLine();
    }
}
