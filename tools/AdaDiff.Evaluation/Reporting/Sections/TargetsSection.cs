using System.Text;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>The issue's targets at the chosen threshold, judged on their own runs, and how the threshold was chosen.</summary>
internal sealed class TargetsSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        if (context.Report.Targets is not { } targets)
        {
            return;
        }
        EvalSettings s = context.Settings;
        SelectionRecord selection = targets.Selection;
        string how = selection.Rule.StartsWith("given", StringComparison.Ordinal)
            ? "given with `--threshold`"
            : string.Create(Inv, $"chosen on the sweep (N = {selection.Samples}) as the {selection.Rule}; the margin was {selection.AccuracyMargin * 100:0.00} points, min layers {selection.MinLayers}");
        markdown.AppendLine(Inv, $"## Targets ({SamplerName(s.Sampler)}-{s.Steps}, guidance {s.Guidance:0.##}, N = {targets.Samples})");
        markdown.AppendLine();
        markdown.AppendLine(Inv, $"Threshold **{selection.Threshold:0.####}**, {how}; {(selection.MetQualityBar ? "the point met that bar on the sweep" : "**no swept point met that bar on the sweep**")}. Runs `{targets.FullRunId}` and `{targets.AdaptiveRunId}`.");
        markdown.AppendLine();
        markdown.AppendLine("| target | measured | |");
        markdown.AppendLine("|---|---|---|");
        foreach (TargetCheck c in targets.Checks)
        {
            markdown.AppendLine(Inv, $"| {c.Target} | {c.Measured} | {(c.Met ? "met" : "**missed**")} |");
        }
        markdown.AppendLine();
    }
}
