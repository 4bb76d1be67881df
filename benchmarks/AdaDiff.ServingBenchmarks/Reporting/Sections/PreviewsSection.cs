using System.Text;
using static AdaDiff.ServingBenchmarks.Reporting.ReportFormat;

namespace AdaDiff.ServingBenchmarks.Reporting.Sections;

/// <summary>What x̂₀ previews every step cost in throughput and latency (only when the run had the previews configuration).</summary>
internal sealed class PreviewsSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        BenchConfig? preview = context.Result.Configs.FirstOrDefault(c => c.Previews);
        if (preview is null)
        {
            return;
        }
        Analysis a = context.Analysis;
        markdown.AppendLine("### The cost of previews");
        markdown.AppendLine();
        markdown.AppendLine(Inv, $"x̂₀ as a PNG every step (`preview_every_n_steps = 1`) besides the latents, {preview.Backend} adaptive at {preview.Streams} streams, against the same load without:");
        markdown.AppendLine(Inv, $"throughput {Share(a.PreviewCost(preview.Backend, preview.Streams))} lower, p50 latency {Ratio(a.PreviewLatencyRatio(preview.Backend, preview.Streams))} as long.");
        markdown.AppendLine();
    }
}
