using System.Text;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>What this run does not measure, and where that is measured instead.</summary>
internal sealed class NotCoveredSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        markdown.AppendLine("## Not covered by this run");
        markdown.AppendLine();
        if (!context.Report.Runs.Any(r => r.Group == "baseline"))
        {
            markdown.AppendLine("- The paper's ablation (exit heads trained on a frozen backbone without the uncertainty-aware layer-wise loss) needs a separately trained package: sweep it on its own with `eval --model DIR` and put both sweeps on one plot with `eval compare` (`baselines/README.md`, `docs/ablation.md`), or pass it here with `--baseline-model DIR --baseline-label TEXT` and it is swept like the main model.");
        }
        markdown.AppendLine("- Wall-clock speed, the PyTorch reference and the FLOP/s against the machine's peak belong to the benchmark.");
        markdown.AppendLine("- Numbers come from one set of seeds, without confidence intervals: repeat with another `--seed` to see the spread before reading small differences. Image k of a class uses seed base + k, so bases closer than the images per class share images (`--seed 1` reuses all but one per class); take one far away, e.g. `--seed 1000`.");
    }
}
