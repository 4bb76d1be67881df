using System.Text;
using static AdaDiff.ServingBenchmarks.Reporting.ReportFormat;

namespace AdaDiff.ServingBenchmarks.Reporting.Sections;

/// <summary>What serving costs: server images/s against in-process images/s for the same concurrent generations.</summary>
internal sealed class OverheadSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        Analysis a = context.Analysis;
        markdown.AppendLine("### Serving overhead");
        markdown.AppendLine();
        markdown.AppendLine("1 − server images/s over in-process images/s for the same concurrent generations: what protobuf, HTTP/2 on");
        markdown.AppendLine("loopback, the service layer and the client's reading (it shares the machine) cost.");
        markdown.AppendLine();
        markdown.AppendLine("| backend | exits | streams | server images/s | in-process images/s | overhead: median (min–max) |");
        markdown.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (ConfigSummary c in a.Configs.Where(c => c.Config.Path == BenchPath.Server && !c.Config.Previews))
        {
            BenchConfig k = c.Config;
            ConfigSummary? inproc = a.Summary(BenchConfig.KeyOf(BenchPath.InProcess, k.Backend, k.Mode, k.Streams));
            markdown.AppendLine(Inv, $"| {k.Backend} | {k.Mode} | {k.Streams} | {N(c.ImagesPerSecond.Median, "F2")} | {N(inproc?.ImagesPerSecond.Median ?? double.NaN, "F2")} | {Share(a.Overhead(k.Backend, k.Mode, k.Streams))} |");
        }
        markdown.AppendLine();
    }
}
