using System.Text;
using static AdaDiff.ServingBenchmarks.Reporting.ReportFormat;

namespace AdaDiff.ServingBenchmarks.Reporting.Sections;

/// <summary>The PyTorch reference at batch 1 and 16 against the engine in-process (only when PyTorch ran).</summary>
internal sealed class PyTorchSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        if (!context.Result.Configs.Any(c => c.Path == BenchPath.PyTorch))
        {
            return;
        }
        Analysis a = context.Analysis;
        markdown.AppendLine("### Against the PyTorch reference");
        markdown.AppendLine();
        markdown.AppendLine("The same network, weights, sampler and exit rule in `reference/uvit_reference.py` (its own sampling loop's images/s), batch 1");
        markdown.AppendLine("and 16, against the engine in-process at 1 and 16 concurrent generations (the scheduler batches their steps).");
        markdown.AppendLine();
        markdown.AppendLine("| batch | exits | PyTorch images/s | mean depth | in-process onnxruntime images/s | onnxruntime / PyTorch | in-process torchsharp / PyTorch |");
        markdown.AppendLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (int batch in BenchPlan.PyTorchBatches)
        {
            foreach (string mode in BenchPlan.Modes)
            {
                ConfigSummary? pt = a.Summary(BenchConfig.KeyOf(BenchPath.PyTorch, "pytorch", mode, batch));
                ConfigSummary? onnx = a.Summary(BenchConfig.KeyOf(BenchPath.InProcess, "onnxruntime", mode, batch));
                markdown.AppendLine(Inv, $"| {batch} | {mode} | {WithRange(pt?.ImagesPerSecond, "F2")} | {N(pt?.MeanExitLayer.Median ?? double.NaN, "F2")} | {N(onnx?.ImagesPerSecond.Median ?? double.NaN, "F2")} | {Ratio(a.VsPyTorch("onnxruntime", mode, mode, batch))} | {Ratio(a.VsPyTorch("torchsharp", mode, mode, batch))} |");
            }
        }
        markdown.AppendLine();
    }
}
