using System.Text;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>Every configuration that ran, in order, with all its measurements.</summary>
internal sealed class ConfigurationsSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        EvalReport report = context.Report;
        markdown.AppendLine("## All configurations");
        markdown.AppendLine();
        markdown.AppendLine("| run | group | sampler | steps | N | policy | mean layers | acceleration | FLOPs ratio | FID-proxy | floor (same N) | class acc. | PSNR vs full (dB) | images/s | seconds |");
        markdown.AppendLine("|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (RunRecord r in report.Runs)
        {
            markdown.AppendLine(Inv, $"| `{r.Id}` | {r.Group} | {SamplerName(r.Sampler)} | {r.Steps} | {r.Samples} | {Policy(r)} | {r.MeanLayers:F2} | {r.AccelerationRatio:P1} | {r.FlopsRatio:P1} | {Num(r.Fid, "F3")} | {Num(FloorAt(report, r.Samples), "F3")} | {Pct(r.ClassAccuracy)} | {Num(r.PsnrVsFull, "F2")} | {r.ImagesPerSecond:F2} | {r.WallSeconds:F0} |");
        }
        markdown.AppendLine();
        markdown.AppendLine("Images/s are context only: every configuration ran on a shared CPU, one after the other; wall-clock speed is measured by the benchmark, not here.");
        markdown.AppendLine();
    }
}
