using System.Globalization;
using System.Text;

namespace AdaDiff.Benchmarks.Reporting;

/// <summary>Adaptive against full depth per configuration and batch: the layers skipped and the speed-up that reached images/s.</summary>
internal static class ExitSavingsSection
{
    public static void Write(StringBuilder md, ReportContext context)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        md.AppendLine("## What the exits save in wall-clock time");
        md.AppendLine();
        md.AppendLine("Adaptive against full depth on the same configuration, batch and seeds, measured in the same rounds: the layer");
        md.AppendLine("ratio is the compute the exits skip; the speed-up is what reaches the images per second after the exit");
        md.AppendLine("heads, the embedding and the output head, which every step runs at any depth.");
        md.AppendLine();
        md.AppendLine("| configuration | batch | full / mean layers | speed-up (adaptive / full images per second) | share of the layer saving realised |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (ThroughputRow full in context.Run.Throughput.Where(r => r.Mode == "full"))
        {
            ThroughputRow adaptive = context.Row(full.Config, full.Batch, "adaptive");
            double layerRatio = context.Depth / adaptive.MeanLayers;
            double speedup = adaptive.ImagesPerSecond / full.ImagesPerSecond;
            md.AppendLine(inv, $"| {full.Config} | {full.Batch} | {layerRatio:F2}× | {speedup:F2}× | {(layerRatio > 1.0001 ? ((speedup - 1) / (layerRatio - 1)).ToString("P0", inv) : "—")} |");
        }
        md.AppendLine();
    }
}
