using System.Text;
using static AdaDiff.ServingBenchmarks.Reporting.ReportFormat;

namespace AdaDiff.ServingBenchmarks.Reporting.Sections;

/// <summary>The denoiser's GFLOP/s per backend against the matmul peak measured in the same rounds (only when probed).</summary>
internal sealed class PeakSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        BenchResult r = context.Result;
        if (r.Probes.Count == 0)
        {
            return;
        }
        Analysis a = context.Analysis;
        BenchSettings s = context.Settings;
        markdown.AppendLine("### The denoiser against the matmul peak");
        markdown.AppendLine();
        markdown.AppendLine(Inv, $"Peak: the best of repeated {s.MatmulSize}×{s.MatmulSize} float32 MatMuls through ONNX Runtime's CPU provider ({s.Threads} threads), measured in each round:");
        markdown.AppendLine(Inv, $"{Gflops(a.MatmulPeak)} GFLOP/s. Denoiser: full-depth DDIM steps of {s.PassRows} rows in-process (the step time is the");
        markdown.AppendLine(Inv, $"generation's wall time less its queue wait, over its steps), with model.json's {s.FlopsPerRow / 1e9:F3} GFLOP per row (embed, layers, head).");
        markdown.AppendLine();
        markdown.AppendLine("| backend | rows | ms per step | GFLOP/s | share of the peak |");
        markdown.AppendLine("|---|---:|---:|---:|---:|");
        foreach (string backend in r.Probes.SelectMany(p => p.PassGflops.Keys).Distinct())
        {
            markdown.AppendLine(Inv, $"| {backend} | {s.PassRows} | {N(a.PassMilliseconds(backend).Median, "F2")} | {Gflops(a.PassGflops(backend))} | {Share(a.ShareOfPeak(backend))} |");
        }
        markdown.AppendLine();
    }
}
