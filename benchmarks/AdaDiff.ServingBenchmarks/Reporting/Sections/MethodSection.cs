using System.Text;

namespace AdaDiff.ServingBenchmarks.Reporting.Sections;

/// <summary>How to run the benchmark and how each path is measured, with the run's own notes last.</summary>
internal sealed class MethodSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        markdown.AppendLine("### How it is measured");
        markdown.AppendLine();
        markdown.AppendLine("Run it with `dotnet build benchmarks/AdaDiff.ServingBenchmarks -c Release` and then");
        markdown.AppendLine("`dotnet run -c Release --no-build --project benchmarks/AdaDiff.ServingBenchmarks` (`--quick` to check that it");
        markdown.AppendLine("works, `--plan` for the configurations and the estimated time); `benchmarks/README.md` has the options.");
        markdown.AppendLine();
        markdown.AppendLine("- **Server**: the built server (`dotnet AdaDiff.Server.dll`) started once per backend on free loopback ports with the");
        markdown.AppendLine("  limits above, called through the C# client library (`AdaDiffClient`, one per server, no retries: a refused call");
        markdown.AppendLine("  counts as an error); each of the N streams makes its calls back to back. A call counts when every step carried its");
        markdown.AppendLine("  latent (and preview) and the result its image. The client runs on the same cores, so its reading is in the overhead.");
        markdown.AppendLine("- **In-process**: the engine's `GenerationScheduler` with the same limits on a backend loaded in a runner process of");
        markdown.AppendLine("  its own (`adadiff-serving-bench runner`, one per backend, started by the benchmark; `OnnxBackend.Load`,");
        markdown.AppendLine("  `TorchSharpBackend.Load`, warmed up as the server warms its own), fed the same requests as resolved by the server");
        markdown.AppendLine("  (latents every step), each stream reading its events to the end. The benchmark process loads no backend, and");
        markdown.AppendLine("  one process computes at a time (the server called, or the runner measured; the rest wait idle), so no two");
        markdown.AppendLine("  thread pools (TorchSharp's OpenMP above all) fight over the cores.");
        markdown.AppendLine("- **CPU**: user + system time of the server, of the benchmark process (the client) and of the runner over each");
        markdown.AppendLine("  configuration, and the machine's busy time from /proc/stat (which also shows other processes' work).");
        markdown.AppendLine("- **PyTorch**: `reference/uvit_reference.py sample` on the same package, one process per configuration; see the");
        markdown.AppendLine("  configuration above and `scripts/fair-pytorch.sh`.");
        markdown.AppendLine("- Percentiles interpolate between the closest ranks; with a few calls per configuration p99 is close to the slowest call.");
        markdown.AppendLine("- Calls beyond MaxActiveJobs wait in the server's queue for a running generation to finish: at more streams than");
        markdown.AppendLine("  that, latency and TTFS include that wait.");
        foreach (string note in context.Result.Notes)
        {
            markdown.AppendLine("- " + note);
        }
    }
}
