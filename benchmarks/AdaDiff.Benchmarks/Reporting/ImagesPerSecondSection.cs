using System.Globalization;
using System.Text;

namespace AdaDiff.Benchmarks.Reporting;

/// <summary>Images/s of every configuration at batch 1 and 16, full depth and adaptive, with the ratios between configurations.</summary>
internal static class ImagesPerSecondSection
{
    public static void Write(StringBuilder md, ReportContext context)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        IReadOnlyList<string> configs = context.Configs;
        List<(string Name, string Numerator, string Denominator)> ratios = Ratios(configs);
        md.AppendLine("## Images per second");
        md.AppendLine();
        md.Append("| batch | exits |");
        foreach (string config in configs)
        {
            md.Append(inv, $" {config} |");
        }
        foreach ((string name, _, _) in ratios)
        {
            md.Append(inv, $" {name} |");
        }
        md.AppendLine(" mean depth |");
        md.Append("|---:|---|");
        md.Append(string.Concat(Enumerable.Repeat("---:|", configs.Count + ratios.Count)));
        md.AppendLine("---:|");
        foreach (int batch in new[] { 1, 16 })
        {
            foreach (string mode in new[] { "full", "adaptive" })
            {
                md.Append(inv, $"| {batch} | {mode} |");
                foreach (string config in configs)
                {
                    ThroughputRow row = context.Row(config, batch, mode);
                    md.Append(inv, $" {row.ImagesPerSecond:F2} ({row.Min:F2}–{row.Max:F2}) |");
                }
                foreach ((_, string numerator, string denominator) in ratios)
                {
                    md.Append(inv, $" {context.Row(numerator, batch, mode).ImagesPerSecond / context.Row(denominator, batch, mode).ImagesPerSecond:F2}× |");
                }
                md.AppendLine(inv, $" {context.Row(configs[0], batch, mode).MeanLayers:F2} of {context.Depth} |");
            }
        }
        md.AppendLine();
    }

    /// <summary>The ratio columns: ONNX Runtime over TorchSharp, and each planned configuration over its per-stage one.</summary>
    private static List<(string Name, string Numerator, string Denominator)> Ratios(IReadOnlyList<string> configs)
    {
        List<(string Name, string Numerator, string Denominator)> ratios = [];
        if (configs.Contains("onnxruntime") && configs.Contains("torchsharp"))
        {
            ratios.Add(("onnxruntime / torchsharp", "onnxruntime", "torchsharp"));
        }
        foreach (string config in configs.Where(c => configs.Contains(c + "-per-stage")))
        {
            ratios.Add(($"{config}: planned / per-stage", config, config + "-per-stage"));
        }
        return ratios;
    }
}
