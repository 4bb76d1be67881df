using System.Globalization;
using System.Text;

namespace AdaDiff.Benchmarks.Reporting;

/// <summary>The title, how the rounds alternate the configurations, and the run's command, date, machine and sampling.</summary>
internal static class HeaderSection
{
    public static void Write(StringBuilder md, ReportContext context)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        BenchmarkRun run = context.Run;
        md.AppendLine(inv, $"# Benchmark: {string.Join(", ", context.Configs)}; full depth vs exits");
        md.AppendLine();
        md.AppendLine("The configurations load the same weights in one process; every configuration and exit mode of a batch size");
        md.AppendLine(inv, $"is measured once per round, in turn, so each ratio below compares figures from the same minutes: the median of");
        md.AppendLine(inv, $"{run.Rounds} rounds, with the range of the rounds in brackets. The numbers are this machine's, shared with other");
        md.AppendLine("work, so read the ratios rather than the absolute values. `torchsharp` and `onnxruntime` run each pass in the few");
        md.AppendLine("calls the engine plans (fused where the backend has fused calls); `…-per-stage` run one stage a call, as every");
        md.AppendLine("pass did before the engine planned them.");
        md.AppendLine();
        md.AppendLine(inv, $"- command: `{run.Command}`");
        md.AppendLine(inv, $"- date: {run.Date}; machine: {run.Machine}");
        md.AppendLine(inv, $"- sampling: {run.Sampler}; machine-readable: the `.json` beside this file");
        md.AppendLine();
    }
}
