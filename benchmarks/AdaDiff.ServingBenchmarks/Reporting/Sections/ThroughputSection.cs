using System.Text;
using static AdaDiff.ServingBenchmarks.Reporting.ReportFormat;

namespace AdaDiff.ServingBenchmarks.Reporting.Sections;

/// <summary>Images/s, latency, time to first step and step time of every server and in-process configuration.</summary>
internal sealed class ThroughputSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        markdown.AppendLine("### Throughput and latency");
        markdown.AppendLine();
        markdown.AppendLine("Images/s over the whole configuration (first call's start to last call's end); latency per call (one image) from");
        markdown.AppendLine("the client's call to its result; time to first step (TTFS) from the call to its first step event; step: the median");
        markdown.AppendLine("interval between a call's step events under that load. Medians over the rounds; images/s with its range.");
        markdown.AppendLine();
        markdown.AppendLine("| path | backend | exits | streams | images/s | latency p50 / p99 (s) | TTFS p50 / p99 (ms) | step (ms) | mean depth | errors |");
        markdown.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (ConfigSummary c in Rows(context.Analysis))
        {
            BenchConfig k = c.Config;
            markdown.AppendLine(Inv, $"| {PathText(k.Path)} | {k.Backend} | {k.Mode}{(k.Previews ? " + previews" : "")} | {k.Streams} | {WithRange(c.ImagesPerSecond, "F2")} | {N(c.LatencyP50.Median, "F2")} / {N(c.LatencyP99.Median, "F2")} | {N(c.FirstStepP50.Median * 1000, "F0")} / {N(c.FirstStepP99.Median * 1000, "F0")} | {N(c.StepSeconds.Median * 1000, "F1")} | {N(c.MeanExitLayer.Median, "F2")} | {c.Errors} |");
        }
        markdown.AppendLine();
    }

    /// <summary>The server and in-process configurations by path, backend, mode, previews and streams.</summary>
    private static IEnumerable<ConfigSummary> Rows(Analysis a) => a.Configs.Where(c => c.Config.Path != BenchPath.PyTorch)
        .OrderBy(c => c.Config.Path).ThenBy(c => c.Config.Backend, StringComparer.Ordinal).ThenBy(c => c.Config.Mode, StringComparer.Ordinal)
        .ThenBy(c => c.Config.Previews).ThenBy(c => c.Config.Streams);
}
