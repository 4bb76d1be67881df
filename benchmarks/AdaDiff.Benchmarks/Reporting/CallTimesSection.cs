using System.Globalization;
using System.Text;

namespace AdaDiff.Benchmarks.Reporting;

/// <summary>
/// Time per call (medians, ms): each stage alone and the fused calls a pass makes; whole passes per stage against fused;
/// and each layer alone.
/// </summary>
internal static class CallTimesSection
{
    public static void Write(StringBuilder md, ReportContext context)
    {
        StageTable(md, context);
        PassTable(md, context);
        LayerList(md, context);
    }

    private static void StageTable(StringBuilder md, ReportContext context)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        md.AppendLine("## Time per call (median, ms)");
        md.AppendLine();
        md.AppendLine("Each stage on its own (embed is Begin + layer 1 − layer 2: the ONNX backend embeds with its first call), and");
        md.AppendLine(inv, $"the fused calls a pass makes: embed with the layers before min layers {context.MinLayers}, a layer with its UEM (mean over");
        md.AppendLine("the layers after them), the whole network from embed to head.");
        md.AppendLine();
        PerStageTable(md, context,
            "| configuration | batch | embed | layer (mean of all) | UEM certainty | head | whole network | whole network per layer | embed + layers before min | layer + UEM |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            s => string.Create(inv, $"| {s.Config} | {s.Batch} | {s.EmbedMs:F3} | {s.MeanLayerMs:F3} | {s.UemMs:F3} | {s.HeadMs:F3} | {s.WholeNetworkMs:F3} | {s.WholeNetworkPerLayerMs:F3} | {s.PrefixMs:F3} ({s.PrefixLayers} layers) | {s.LayerWithUemMs:F3} |"));
    }

    private static void PassTable(StringBuilder md, ReportContext context)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        md.AppendLine("Whole passes timed as a whole (median, ms), stage by stage and in the fused calls, in alternation: full depth");
        md.AppendLine(inv, $"(Begin, {context.Depth} × RunLayer, Predict against PredictAtDepth) and adaptive with every row to the last layer (certainty");
        md.AppendLine(inv, $"from layer {context.MinLayers} on: RunLayer + Certainty against RunLayers + RunLayerWithCertainty). On a loaded machine these");
        md.AppendLine("compare like with like; sums of the per-call medians above do not (a long call cannot dodge a preemption).");
        md.AppendLine();
        PerStageTable(md, context,
            "| configuration | batch | full: per stage | full: fused | fused / per stage | adaptive: per stage | adaptive: fused | fused / per stage |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            s =>
            {
                double fp = s.FullPassPerStageMs, ff = s.FullPassFusedMs, ap = s.AdaptivePassPerStageMs, af = s.AdaptivePassFusedMs;
                return string.Create(inv, $"| {s.Config} | {s.Batch} | {fp:F3} | {ff:F3} | {ff / fp:F2} | {ap:F3} | {af:F3} | {af / ap:F2} |");
            });
    }

    private static void LayerList(StringBuilder md, ReportContext context)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        md.AppendLine("Per-layer times (ms), layers 1..depth, each stage on its own:");
        md.AppendLine();
        foreach (StageTiming s in context.Run.PerStage)
        {
            md.AppendLine(inv, $"- {s.Config}, batch {s.Batch}: {string.Join(", ", s.LayerMs.Select(v => v.ToString("F3", inv)))}");
        }
        md.AppendLine();
    }

    /// <summary>A markdown table of one row per configuration and batch timed, then a blank line.</summary>
    /// <param name="md">The report being written.</param>
    /// <param name="context">The run whose stage timings make the rows.</param>
    /// <param name="header">The header row.</param>
    /// <param name="alignment">The row under the header (<c>|---|---:|…</c>).</param>
    /// <param name="row">One timing's row.</param>
    private static void PerStageTable(StringBuilder md, ReportContext context, string header, string alignment, Func<StageTiming, string> row)
    {
        md.AppendLine(header);
        md.AppendLine(alignment);
        foreach (StageTiming s in context.Run.PerStage)
        {
            md.AppendLine(row(s));
        }
        md.AppendLine();
    }
}
