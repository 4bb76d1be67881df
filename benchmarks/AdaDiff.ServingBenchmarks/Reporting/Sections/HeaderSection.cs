using System.Text;
using static AdaDiff.ServingBenchmarks.Reporting.ReportFormat;

namespace AdaDiff.ServingBenchmarks.Reporting.Sections;

/// <summary>The title, how the rounds are interleaved and summarised, and the run's command, machine, work and limits.</summary>
internal sealed class HeaderSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        BenchResult r = context.Result;
        BenchSettings s = context.Settings;
        markdown.AppendLine("## Serving: the real server against concurrency, in-process, and PyTorch");
        markdown.AppendLine();
        if (s.Quick)
        {
            markdown.AppendLine("**A `--quick` run** (one round, few calls, a small concurrency set): it shows that the benchmark works, not how fast anything is.");
            markdown.AppendLine();
        }
        markdown.AppendLine("Every configuration below ran once per round, the rounds one after another and the configurations of a round");
        markdown.AppendLine("interleaved (a ratio's two sides side by side, their order swapped every other round); each ratio is taken");
        markdown.AppendLine(Inv, $"within a round and then summarised: the median over the {s.Rounds} round{(s.Rounds == 1 ? "" : "s")} with the smallest and largest value.");
        markdown.AppendLine("Absolute figures depend on what else the machine was doing (the load average is in the JSON); the ratios less so.");
        markdown.AppendLine();
        markdown.AppendLine(Inv, $"- command: `{r.Command}`");
        markdown.AppendLine(Inv, $"- date: {r.StartedAt:yyyy-MM-dd HH:mm} UTC; machine: {r.Machine}{LoadRange(r)}; ran {r.TotalSeconds / 60:F1} min (estimated {r.EstimatedSeconds / 60:F1})");
        markdown.AppendLine(Inv, $"- work: model `{s.Model}` (depth {s.Depth}, weights {s.WeightsSha256[..Math.Min(12, s.WeightsSha256.Length)]}…), one image per call, DDIM-{s.Steps}, class {s.ClassLabel}, guidance {s.Guidance.ToString(Inv)} (two network rows per image), adaptive threshold {s.Threshold.ToString("0.####", Inv)} and min layers {s.MinLayers} (the model's defaults), every step's FLOAT32 latent streamed");
        markdown.AppendLine(Inv, $"- server and in-process scheduler alike: {s.Threads} threads, MaxActiveJobs {s.MaxActiveJobs}, MaxBatchRows {s.MaxBatchRows}{(s.LimitsSource.Length > 0 ? " (" + s.LimitsSource + ")" : "")}, MaxQueuedJobs {s.MaxQueuedJobs}, MaxUnreadEvents {s.MaxUnreadEvents}{ServerFlags(r)}");
        markdown.AppendLine(Inv, $"- PyTorch: {r.PyTorch.Reason}.");
        markdown.AppendLine(Inv, $"- machine-readable: `{context.JsonName}`");
        markdown.AppendLine();
    }

    /// <summary>"; 1-minute load average min–max" over the measurements, or nothing where none was read.</summary>
    private static string LoadRange(BenchResult r)
    {
        double[] loads = [.. r.Measurements.Select(m => m.LoadAverage).Where(double.IsFinite)];
        return loads.Length == 0 ? "" : string.Create(Inv, $"; 1-minute load average {loads.Min():F1}–{loads.Max():F1}");
    }

    private static string ServerFlags(BenchResult r) =>
        r.ServerArgs.Count > 0 ? "; server flags " + string.Join(' ', r.ServerArgs.Select(x => "`" + x + "`")) : "";
}
