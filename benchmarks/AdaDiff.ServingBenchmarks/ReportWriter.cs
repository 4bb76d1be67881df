using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// The outputs of a run: <c>&lt;out&gt;.json</c> (the raw rounds, the summaries, the ratios and the targets), the
/// serving section of the markdown file (the rest of that file is kept), the PNG plots beside the JSON, and the console
/// summary. Everything derives from a <see cref="BenchResult"/>, so a result set can be written again without a run.
/// </summary>
public static class ReportWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The paths written.</summary>
    public sealed record Written(string Json, string Markdown, IReadOnlyList<string> Plots);

    /// <summary>Writes <c>&lt;outPrefix&gt;.json</c>, the plots <c>&lt;outPrefix&gt;-*.png</c> and the section of <paramref name="markdownPath"/>.</summary>
    public static Written Write(BenchResult result, string outPrefix, string markdownPath)
    {
        ArgumentNullException.ThrowIfNull(result);
        var analysis = new Analysis(result);
        IReadOnlyList<Target> targets = Targets.Evaluate(analysis);
        foreach (string path in new[] { outPrefix, markdownPath })
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
            }
        }
        string json = outPrefix + ".json";
        File.WriteAllText(json, JsonText(result, analysis, targets));
        IReadOnlyList<string> plots = Plots.Write(analysis, outPrefix);
        string mdDir = Path.GetDirectoryName(Path.GetFullPath(markdownPath))!;
        string Relative(string p) => Path.GetRelativePath(mdDir, Path.GetFullPath(p)).Replace('\\', '/');
        string body = Markdown(analysis, targets, Relative(json), [.. plots.Select(Relative)]);
        string? existing = File.Exists(markdownPath) ? File.ReadAllText(markdownPath) : null;
        File.WriteAllText(markdownPath, MarkdownSection.Replace(existing, body));
        return new Written(json, markdownPath, plots);
    }

    /// <summary>The result set of a run's JSON (what <see cref="JsonText"/> wrote), for writing its reports again.</summary>
    public static BenchResult ReadResult(string jsonText)
    {
        using JsonDocument doc = JsonDocument.Parse(jsonText);
        return doc.RootElement.GetProperty("result").Deserialize<BenchResult>(Json)
            ?? throw new InvalidOperationException("the JSON holds no result");
    }

    public static string JsonText(BenchResult result, Analysis analysis, IReadOnlyList<Target> targets)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var summaries = analysis.Configs.Select(c => new
        {
            config = c.Config.Key,
            imagesPerSecond = c.ImagesPerSecond,
            latencyP50Seconds = c.LatencyP50,
            latencyP99Seconds = c.LatencyP99,
            firstStepP50Seconds = c.FirstStepP50,
            firstStepP99Seconds = c.FirstStepP99,
            stepSeconds = c.StepSeconds,
            meanExitLayer = c.MeanExitLayer,
            errors = c.Errors,
        });
        var targetRows = targets.Select(t => new { group = t.Group, name = t.Name, figure = t.Figure, limit = t.Limit, atMost = t.AtMost, status = t.StatusText, text = t.FigureText });
        return JsonSerializer.Serialize(new { result, summaries, targets = targetRows }, Json) + "\n";
    }

    /// <summary>The section's markdown (without its markers).</summary>
    public static string Markdown(Analysis a, IReadOnlyList<Target> targets, string jsonName, IReadOnlyList<string> plots)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(plots);
        BenchResult r = a.Result;
        BenchSettings s = r.Settings;
        var md = new StringBuilder();
        md.AppendLine("## Serving: the real server against concurrency, in-process, and PyTorch");
        md.AppendLine();
        if (s.Quick)
        {
            md.AppendLine("**A `--quick` run** (one round, few calls, a small concurrency set): it shows that the benchmark works, not how fast anything is.");
            md.AppendLine();
        }
        md.AppendLine("Every configuration below ran once per round, the rounds one after another and the configurations of a round");
        md.AppendLine("interleaved (a ratio's two sides side by side, their order swapped every other round); each ratio is taken");
        md.AppendLine(Inv, $"within a round and then summarised: the median over the {s.Rounds} round{(s.Rounds == 1 ? "" : "s")} with the smallest and largest value.");
        md.AppendLine("Absolute figures depend on what else the machine was doing (the load average is in the JSON); the ratios less so.");
        md.AppendLine();
        md.AppendLine(Inv, $"- command: `{r.Command}`");
        double[] loads = [.. r.Measurements.Select(m => m.LoadAverage).Where(double.IsFinite)];
        string load = loads.Length == 0 ? "" : string.Create(Inv, $"; 1-minute load average {loads.Min():F1}–{loads.Max():F1}");
        md.AppendLine(Inv, $"- date: {r.StartedAt:yyyy-MM-dd HH:mm} UTC; machine: {r.Machine}{load}; ran {r.TotalSeconds / 60:F1} min (estimated {r.EstimatedSeconds / 60:F1})");
        md.AppendLine(Inv, $"- work: model `{s.Model}` (depth {s.Depth}, weights {s.WeightsSha256[..Math.Min(12, s.WeightsSha256.Length)]}…), one image per call, DDIM-{s.Steps}, class {s.ClassLabel}, guidance {s.Guidance.ToString(Inv)} (two network rows per image), adaptive threshold {s.Threshold.ToString("0.####", Inv)} and min layers {s.MinLayers} (the model's defaults), every step's FLOAT32 latent streamed");
        md.AppendLine(Inv, $"- server and in-process scheduler alike: {s.Threads} threads, MaxActiveJobs {s.MaxActiveJobs}, MaxBatchRows {s.MaxBatchRows}{(s.LimitsSource.Length > 0 ? " (" + s.LimitsSource + ")" : "")}, MaxQueuedJobs {s.MaxQueuedJobs}, MaxUnreadEvents {s.MaxUnreadEvents}{(r.ServerArgs.Count > 0 ? "; server flags " + string.Join(' ', r.ServerArgs.Select(x => "`" + x + "`")) : "")}");
        md.AppendLine(Inv, $"- PyTorch: {r.PyTorch.Reason}.");
        md.AppendLine(Inv, $"- machine-readable: `{jsonName}`");
        md.AppendLine();

        md.AppendLine("### Targets");
        md.AppendLine();
        md.AppendLine("Benchmark figures, not tests: a target is met when its median is.");
        md.AppendLine();
        md.AppendLine("| target | configuration | figure: median (min–max) | target | |");
        md.AppendLine("|---|---|---:|---:|---|");
        foreach (Target t in targets)
        {
            md.AppendLine(Inv, $"| {t.Group} | {t.Name} | {t.FigureText} | {t.LimitText} | {(t.Status == TargetStatus.Missed ? "**missed**" : t.StatusText)} |");
        }
        md.AppendLine();

        md.AppendLine("### Throughput and latency");
        md.AppendLine();
        md.AppendLine("Images/s over the whole configuration (first call's start to last call's end); latency per call (one image) from");
        md.AppendLine("the client's call to its result; time to first step (TTFS) from the call to its first step event; step: the median");
        md.AppendLine("interval between a call's step events under that load. Medians over the rounds; images/s with its range.");
        md.AppendLine();
        md.AppendLine("| path | backend | exits | streams | images/s | latency p50 / p99 (s) | TTFS p50 / p99 (ms) | step (ms) | mean depth | errors |");
        md.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (ConfigSummary c in a.Configs.Where(c => c.Config.Path != BenchPath.PyTorch)
            .OrderBy(c => c.Config.Path).ThenBy(c => c.Config.Backend, StringComparer.Ordinal).ThenBy(c => c.Config.Mode, StringComparer.Ordinal).ThenBy(c => c.Config.Previews).ThenBy(c => c.Config.Streams))
        {
            BenchConfig k = c.Config;
            md.AppendLine(Inv, $"| {PathText(k.Path)} | {k.Backend} | {k.Mode}{(k.Previews ? " + previews" : "")} | {k.Streams} | {WithRange(c.ImagesPerSecond, "F2")} | {N(c.LatencyP50.Median, "F2")} / {N(c.LatencyP99.Median, "F2")} | {N(c.FirstStepP50.Median * 1000, "F0")} / {N(c.FirstStepP99.Median * 1000, "F0")} | {N(c.StepSeconds.Median * 1000, "F1")} | {N(c.MeanExitLayer.Median, "F2")} | {c.Errors} |");
        }
        md.AppendLine();

        md.AppendLine("### Serving overhead");
        md.AppendLine();
        md.AppendLine("1 − server images/s over in-process images/s for the same concurrent generations: what protobuf, HTTP/2 on");
        md.AppendLine("loopback, the service layer and the client's reading (it shares the machine) cost.");
        md.AppendLine();
        md.AppendLine("| backend | exits | streams | server images/s | in-process images/s | overhead: median (min–max) |");
        md.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (ConfigSummary c in a.Configs.Where(c => c.Config.Path == BenchPath.Server && !c.Config.Previews))
        {
            BenchConfig k = c.Config;
            ConfigSummary? inproc = a.Summary(BenchConfig.KeyOf(BenchPath.InProcess, k.Backend, k.Mode, k.Streams));
            md.AppendLine(Inv, $"| {k.Backend} | {k.Mode} | {k.Streams} | {N(c.ImagesPerSecond.Median, "F2")} | {N(inproc?.ImagesPerSecond.Median ?? double.NaN, "F2")} | {Share(a.Overhead(k.Backend, k.Mode, k.Streams))} |");
        }
        md.AppendLine();

        if (r.Configs.Any(c => c.Path == BenchPath.PyTorch))
        {
            md.AppendLine("### Against the PyTorch reference");
            md.AppendLine();
            md.AppendLine("The same network, weights, sampler and exit rule in `reference/uvit_reference.py` (its own sampling loop's images/s), batch 1");
            md.AppendLine("and 16, against the engine in-process at 1 and 16 concurrent generations (the scheduler batches their steps).");
            md.AppendLine();
            md.AppendLine("| batch | exits | PyTorch images/s | mean depth | in-process onnxruntime images/s | onnxruntime / PyTorch | in-process torchsharp / PyTorch |");
            md.AppendLine("|---:|---|---:|---:|---:|---:|---:|");
            foreach (int batch in BenchPlan.PyTorchBatches)
            {
                foreach (string mode in BenchPlan.Modes)
                {
                    ConfigSummary? pt = a.Summary(BenchConfig.KeyOf(BenchPath.PyTorch, "pytorch", mode, batch));
                    ConfigSummary? onnx = a.Summary(BenchConfig.KeyOf(BenchPath.InProcess, "onnxruntime", mode, batch));
                    md.AppendLine(Inv, $"| {batch} | {mode} | {WithRange(pt?.ImagesPerSecond, "F2")} | {N(pt?.MeanExitLayer.Median ?? double.NaN, "F2")} | {N(onnx?.ImagesPerSecond.Median ?? double.NaN, "F2")} | {Ratio(a.VsPyTorch("onnxruntime", mode, mode, batch))} | {Ratio(a.VsPyTorch("torchsharp", mode, mode, batch))} |");
                }
            }
            md.AppendLine();
        }

        BenchConfig? preview = r.Configs.FirstOrDefault(c => c.Previews);
        if (preview is not null)
        {
            md.AppendLine("### The cost of previews");
            md.AppendLine();
            md.AppendLine(Inv, $"x̂₀ as a PNG every step (`preview_every_n_steps = 1`) besides the latents, {preview.Backend} adaptive at {preview.Streams} streams, against the same load without:");
            md.AppendLine(Inv, $"throughput {Share(a.PreviewCost(preview.Backend, preview.Streams))} lower, p50 latency {Ratio(a.PreviewLatencyRatio(preview.Backend, preview.Streams))} as long.");
            md.AppendLine();
        }

        if (r.Probes.Count > 0)
        {
            md.AppendLine("### The denoiser against the matmul peak");
            md.AppendLine();
            md.AppendLine(Inv, $"Peak: the best of repeated {s.MatmulSize}×{s.MatmulSize} float32 MatMuls through ONNX Runtime's CPU provider ({s.Threads} threads), measured in each round:");
            md.AppendLine(Inv, $"{Gflops(a.MatmulPeak)} GFLOP/s. Denoiser: full-depth DDIM steps of {s.PassRows} rows in-process (the step time is the");
            md.AppendLine(Inv, $"generation's wall time less its queue wait, over its steps), with model.json's {s.FlopsPerRow / 1e9:F3} GFLOP per row (embed, layers, head).");
            md.AppendLine();
            md.AppendLine("| backend | rows | ms per step | GFLOP/s | share of the peak |");
            md.AppendLine("|---|---:|---:|---:|---:|");
            foreach (string backend in r.Probes.SelectMany(p => p.PassGflops.Keys).Distinct())
            {
                md.AppendLine(Inv, $"| {backend} | {s.PassRows} | {N(a.PassMilliseconds(backend).Median, "F2")} | {Gflops(a.PassGflops(backend))} | {Share(a.ShareOfPeak(backend))} |");
            }
            md.AppendLine();
        }

        if (plots.Count > 0)
        {
            md.AppendLine("### Plots");
            md.AppendLine();
            md.AppendLine("Medians over the rounds; solid lines the server, dashed in-process (throughput), dashed p99 (latency, TTFS).");
            md.AppendLine();
            foreach (string plot in plots)
            {
                md.AppendLine(Inv, $"![{Path.GetFileNameWithoutExtension(plot)}]({plot})");
                md.AppendLine();
            }
        }

        md.AppendLine("### How it is measured");
        md.AppendLine();
        md.AppendLine("Run it with `dotnet build benchmarks/AdaDiff.ServingBenchmarks -c Release` and then");
        md.AppendLine("`dotnet run -c Release --no-build --project benchmarks/AdaDiff.ServingBenchmarks` (`--quick` to check that it");
        md.AppendLine("works, `--plan` for the configurations and the estimated time); `benchmarks/README.md` has the options.");
        md.AppendLine();
        md.AppendLine("- **Server**: the built server (`dotnet AdaDiff.Server.dll`) started once per backend on free loopback ports with the");
        md.AppendLine("  limits above, called through the C# client library (`AdaDiffClient`, one per server, no retries: a refused call");
        md.AppendLine("  counts as an error); each of the N streams makes its calls back to back. A call counts when every step carried its");
        md.AppendLine("  latent (and preview) and the result its image. The client runs on the same cores, so its reading is in the overhead.");
        md.AppendLine("- **In-process**: the engine's `GenerationScheduler` with the same limits on a backend loaded in the benchmark");
        md.AppendLine("  (`OnnxBackend.Load`, `TorchSharpBackend.Load`, warmed up as the server warms its own), fed the same requests as");
        md.AppendLine("  resolved by the server (latents every step), each stream reading its events to the end.");
        md.AppendLine("- **PyTorch**: `reference/uvit_reference.py sample` on the same package, one process per configuration; see the");
        md.AppendLine("  configuration above and `scripts/fair-pytorch.sh`.");
        md.AppendLine("- Percentiles interpolate between the closest ranks; with a few calls per configuration p99 is close to the slowest call.");
        md.AppendLine("- Calls beyond MaxActiveJobs wait in the server's queue for a running generation to finish: at more streams than");
        md.AppendLine("  that, latency and TTFS include that wait.");
        foreach (string note in r.Notes)
        {
            md.AppendLine("- " + note);
        }
        return md.ToString();
    }

    /// <summary>The console summary: the targets and the main table, short.</summary>
    public static string ConsoleSummary(BenchResult result)
    {
        var a = new Analysis(result);
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"{"configuration",-44} {"img/s",7} {"p50 s",6} {"p99 s",6} {"TTFS p50 ms",11} {"p99 ms",7} {"depth",6} {"err",4}");
        foreach (ConfigSummary c in a.Configs)
        {
            sb.AppendLine(Inv, $"{c.Config.Key,-44} {N(c.ImagesPerSecond.Median, "F2"),7} {N(c.LatencyP50.Median, "F2"),6} {N(c.LatencyP99.Median, "F2"),6} {N(c.FirstStepP50.Median * 1000, "F0"),11} {N(c.FirstStepP99.Median * 1000, "F0"),7} {N(c.MeanExitLayer.Median, "F2"),6} {c.Errors,4}");
        }
        sb.AppendLine();
        foreach (Target t in Targets.Evaluate(a))
        {
            sb.AppendLine(Inv, $"[{t.StatusText,-12}] {t.Group}: {t.Name}: {t.FigureText} (target {t.LimitText})");
        }
        sb.AppendLine(Inv, $"PyTorch: {result.PyTorch.Reason}.");
        return sb.ToString();
    }

    private static string PathText(BenchPath path) => path switch
    {
        BenchPath.Server => "server",
        BenchPath.InProcess => "in-process",
        _ => "PyTorch",
    };

    private static string N(double v, string format) => double.IsFinite(v) ? v.ToString(format, Inv) : "—";

    private static string WithRange(Spread? s, string format) => s is null || s.Count == 0
        ? "—"
        : s.Count == 1 ? N(s.Median, format) : $"{N(s.Median, format)} ({N(s.Min, format)}–{N(s.Max, format)})";

    private static string Share(Spread s) => s.Count == 0
        ? "—"
        : s.Count == 1 ? string.Create(Inv, $"{s.Median * 100:F1} %") : string.Create(Inv, $"{s.Median * 100:F1} % ({s.Min * 100:F1}–{s.Max * 100:F1})");

    private static string Ratio(Spread s) => s.Count == 0
        ? "—"
        : s.Count == 1 ? string.Create(Inv, $"{s.Median:F2}×") : string.Create(Inv, $"{s.Median:F2}× ({s.Min:F2}–{s.Max:F2})");

    private static string Gflops(Spread s) => WithRange(s, "F0");
}
