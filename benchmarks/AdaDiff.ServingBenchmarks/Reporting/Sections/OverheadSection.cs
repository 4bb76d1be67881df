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
        WriteCpu(markdown, a);
    }

    private static string Times(double ratio) => double.IsFinite(ratio) ? string.Create(Inv, $"{ratio:F2}×") : "—";

    /// <summary>Where the overhead's CPU goes: server, client and in-process CPU per image, and how busy the machine was.</summary>
    private static void WriteCpu(StringBuilder markdown, Analysis a)
    {
        List<ConfigSummary> served = [.. a.Configs.Where(c => c.Config.Path == BenchPath.Server && !c.Config.Previews && c.ServerCpuPerImage.Count > 0)];
        if (served.Count == 0)
        {
            return; // a run from before the CPU was measured
        }
        markdown.AppendLine("CPU per image (ms, user + system, medians over the rounds): the server process and the benchmark's client (the C#");
        markdown.AppendLine("client library reading every step's latent; it shares the cores); in-process, the backend's runner process, where");
        markdown.AppendLine("scheduler, backend and every stream's reader are one process. Busy cores: the whole machine's busy CPU time over");
        markdown.AppendLine("the wall time (every process; the core count is a saturated machine), with the server path's first.");
        markdown.AppendLine();
        markdown.AppendLine("| backend | exits | streams | server CPU | client CPU | server + client | in-process CPU | (server + client) / in-process | busy cores: server / in-process |");
        markdown.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (ConfigSummary c in served)
        {
            BenchConfig k = c.Config;
            ConfigSummary? inproc = a.Summary(BenchConfig.KeyOf(BenchPath.InProcess, k.Backend, k.Mode, k.Streams));
            double server = c.ServerCpuPerImage.Median * 1000;
            double client = c.ClientCpuPerImage.Median * 1000;
            double local = (inproc?.ServerCpuPerImage.Median ?? double.NaN) * 1000;
            markdown.AppendLine(Inv,
                $"| {k.Backend} | {k.Mode} | {k.Streams} | {N(server, "F1")} | {N(client, "F1")} | {N(server + client, "F1")} | {N(local, "F1")} | {Times((server + client) / local)} | {N(c.MachineBusyCores.Median, "F2")} / {N(inproc?.MachineBusyCores.Median ?? double.NaN, "F2")} |");
        }
        markdown.AppendLine();
    }
}
