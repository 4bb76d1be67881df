using System.Text;
using AdaDiff.Evaluation.Metrics;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>Every configuration that ran, in order, with all its measurements.</summary>
internal sealed class ConfigurationsSection : IReportSection
{
    /// <summary>" [low, high]" of an interval scaled by <paramref name="scale"/> (100 for percentages); empty without one.</summary>
    private static string Range(ConfidenceInterval? interval, string format, double scale) =>
        interval is null ? "" : string.Create(Inv, $" [{(interval.Low * scale).ToString(format, Inv)}, {(interval.High * scale).ToString(format, Inv)}]");

    public void Write(StringBuilder markdown, ReportContext context)
    {
        EvalReport report = context.Report;
        markdown.AppendLine("## All configurations");
        markdown.AppendLine();
        markdown.AppendLine("| run | group | sampler | steps | N | policy | mean layers | acceleration | FLOPs ratio | FID-proxy [95% CI] | floor (same N) | class acc. [95% CI] | PSNR vs full (dB) | images/s | seconds |");
        markdown.AppendLine("|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (RunRecord r in report.Runs)
        {
            markdown.AppendLine(Inv, $"| `{r.Id}` | {r.Group} | {SamplerName(r.Sampler)} | {r.Steps} | {r.Samples} | {Policy(r)} | {r.MeanLayers:F2} | {r.AccelerationRatio:P1} | {r.FlopsRatio:P1} | {Num(r.Fid, "F3")}{Range(r.FidInterval, "F2", 1)} | {Num(FloorAt(report, r.Samples), "F3")} | {Pct(r.ClassAccuracy)}{Range(r.AccuracyInterval, "F1", 100)} | {Num(r.PsnrVsFull, "F2")} | {r.ImagesPerSecond:F2} | {r.WallSeconds:F0} |");
        }
        markdown.AppendLine();
        markdown.AppendLine("Intervals: 95% bootstrap over the run's images (500 resamples; the test set held fixed for FID-proxy). FID-proxy is biased upwards at small N, so compare rows of equal N; for differences between policies see the paired intervals under *At equal mean depth*.");
        markdown.AppendLine();
        markdown.AppendLine("Images/s are context only: every configuration ran on a shared CPU, one after the other; wall-clock speed is measured by the benchmark, not here.");
        markdown.AppendLine();
    }
}
