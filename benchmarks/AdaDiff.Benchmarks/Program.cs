using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Scheduling;
using AdaDiff.Packaging;

// adadiff-bench: both backends on the same weights in one process, measured in alternation (ABAB) so that
// load from other processes hits both alike. Usage:
//   adadiff-bench [--package models/fashion-mnist-uvit] [--threads 2] [--steps 20] [--rounds 3]
//                 [--threshold T] [--min-layers N] [--guidance G] [--out docs/benchmarks]   (writes <out>.md and <out>.json)
// Threshold, min layers and guidance default to the package's model.json (what a client gets by leaving them at 0).
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}
string Get(string name, string fallback) => options.TryGetValue(name, out string? v) ? v : fallback;
CultureInfo inv = CultureInfo.InvariantCulture;
string package = Get("package", "models/fashion-mnist-uvit");
int threads = int.Parse(Get("threads", "2"), inv);
int steps = int.Parse(Get("steps", "20"), inv);
int rounds = int.Parse(Get("rounds", "3"), inv);
string outPrefix = Get("out", "docs/benchmarks");
string command = "dotnet run -c Release --project benchmarks/AdaDiff.Benchmarks -- " + string.Join(' ', args);

// A private copy of the package: the trainer may replace the weights while we run.
string dir = Path.Combine(Path.GetTempPath(), "adadiff-bench-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(dir);
PackageWeights weights = PackageWeights.Read(package);
File.Copy(Path.Combine(package, ModelPackage.ManifestFileName), Path.Combine(dir, ModelPackage.ManifestFileName));
File.WriteAllBytes(Path.Combine(dir, weights.Manifest.Weights.File), weights.Bytes);
OnnxExport.Create(weights.Manifest, weights.Bytes, weights.Path).Write(dir);

using var torch = TorchSharpBackend.Load(dir, new TorchSharpBackendOptions { Threads = threads });
using var onnx = OnnxBackend.Load(dir, new OnnxBackendOptions { Threads = threads, ReexportWhenStale = false });
IDenoiserBackend[] backends = [torch, onnx];
ModelManifest m = torch.Manifest;
float threshold = float.Parse(Get("threshold", m.DefaultThreshold.ToString(inv)), inv);
int minLayers = int.Parse(Get("min-layers", m.DefaultMinLayers.ToString(inv)), inv);
float guidance = float.Parse(Get("guidance", m.DefaultGuidanceScale.ToString(inv)), inv);

// Every (exit mode, backend) configuration of a batch size is measured once per round, in turn, so the ratios
// between backends and between full depth and exits come from the same stretch of time (best of the rounds).
string[] modes = ["full", "adaptive"];
var throughput = new List<Dictionary<string, object>>();
foreach (int batch in new[] { 1, 16 })
{
    GenerationRequest Request(string mode) => new()
    {
        NumImages = batch,
        Seed = 7,
        Sampler = SamplerKind.Ddim,
        Steps = steps,
        ClassLabel = 3,
        GuidanceScale = guidance,
        Exit = mode == "full" ? ExitPolicySettings.Full : new ExitPolicySettings(ExitMode.Adaptive, threshold, minLayers, 0),
    };
    int generations = batch == 1 ? 4 : 1;
    var best = new double[modes.Length, backends.Length];
    var layers = new double[modes.Length, backends.Length];
    for (int mi = 0; mi < modes.Length; mi++)
    {
        foreach (IDenoiserBackend backend in backends)
        {
            await GenerationRunner.RunAsync(backend, Request(modes[mi])); // warm-up
        }
    }
    for (int round = 0; round < rounds; round++)
    {
        for (int mi = 0; mi < modes.Length; mi++)
        {
            GenerationRequest request = Request(modes[mi]);
            for (int b = 0; b < backends.Length; b++)
            {
                long start = Stopwatch.GetTimestamp();
                long executed = 0, full = 0;
                for (int g = 0; g < generations; g++)
                {
                    GenerationRun run = await GenerationRunner.RunAsync(backends[b], request);
                    executed += run.Completed.Compute.LayersExecuted;
                    full += run.Completed.Compute.LayersFull;
                }
                double ips = batch * generations / Stopwatch.GetElapsedTime(start).TotalSeconds;
                best[mi, b] = Math.Max(best[mi, b], ips);
                layers[mi, b] = (double)executed / full * m.Depth;
            }
        }
    }
    for (int mi = 0; mi < modes.Length; mi++)
    {
        for (int b = 0; b < backends.Length; b++)
        {
            throughput.Add(new()
            {
                ["backend"] = backends[b].Name, ["batch"] = batch, ["mode"] = modes[mi],
                ["imagesPerSecond"] = Math.Round(best[mi, b], 2), ["meanLayers"] = Math.Round(layers[mi, b], 2),
            });
            Console.WriteLine($"{backends[b].Name,-12} batch {batch,2} {modes[mi],-8} {best[mi, b],8:F2} images/s  mean depth {layers[mi, b]:F2}");
        }
    }
}

// Time per stage: embed, each layer, one UEM and the head, median of repeated full passes.
var perLayer = new List<Dictionary<string, object>>();
foreach (int batch in new[] { 1, 16 })
{
    float[] x = new float[batch * m.ImageSize];
    float[] t = new float[batch];
    int[] y = new int[batch];
    var random = new Random(1);
    for (int i = 0; i < x.Length; i++)
    {
        x[i] = (float)(random.NextDouble() * 2 - 1);
    }
    for (int i = 0; i < batch; i++)
    {
        t[i] = 500;
        y[i] = i % m.NumClasses;
    }
    int repeats = batch == 1 ? 60 : 15;
    var samples = new double[backends.Length][][];
    for (int b = 0; b < backends.Length; b++)
    {
        samples[b] = new double[m.Depth + 3][];
        for (int s = 0; s < samples[b].Length; s++)
        {
            samples[b][s] = new double[repeats];
        }
    }
    var certainty = new float[batch];
    var eps = new float[batch * m.ImageSize];
    int[] rows = Enumerable.Range(0, batch).ToArray();
    for (int r = -2; r < repeats; r++)
    {
        for (int b = 0; b < backends.Length; b++)
        {
            long t0 = Stopwatch.GetTimestamp();
            using IDenoiserBatch run = backends[b].Begin(x, t, y);
            double embed = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            double uem = 0;
            for (int layer = 0; layer < m.Depth; layer++)
            {
                long l0 = Stopwatch.GetTimestamp();
                run.RunLayer();
                double ms = Stopwatch.GetElapsedTime(l0).TotalMilliseconds;
                long u0 = Stopwatch.GetTimestamp();
                run.Certainty(certainty);
                uem += Stopwatch.GetElapsedTime(u0).TotalMilliseconds;
                if (r >= 0)
                {
                    samples[b][layer][r] = ms;
                }
            }
            long h0 = Stopwatch.GetTimestamp();
            run.Predict(rows, eps);
            double head = Stopwatch.GetElapsedTime(h0).TotalMilliseconds;
            if (r >= 0)
            {
                samples[b][m.Depth][r] = embed;
                samples[b][m.Depth + 1][r] = uem / m.Depth;
                samples[b][m.Depth + 2][r] = head;
            }
        }
    }
    for (int b = 0; b < backends.Length; b++)
    {
        double[] medians = samples[b].Select(Median).ToArray();
        perLayer.Add(new()
        {
            ["backend"] = backends[b].Name, ["batch"] = batch,
            ["embedMs"] = Math.Round(medians[m.Depth], 4),
            ["layerMs"] = medians.Take(m.Depth).Select(v => Math.Round(v, 4)).ToArray(),
            ["meanLayerMs"] = Math.Round(medians.Take(m.Depth).Average(), 4),
            ["uemMs"] = Math.Round(medians[m.Depth + 1], 4),
            ["headMs"] = Math.Round(medians[m.Depth + 2], 4),
        });
        Console.WriteLine($"{backends[b].Name,-12} batch {batch,2}: layer {medians.Take(m.Depth).Average():F3} ms, embed {medians[m.Depth]:F3}, uem {medians[m.Depth + 1]:F3}, head {medians[m.Depth + 2]:F3}");
    }
}

var report = new Dictionary<string, object>
{
    ["command"] = command,
    ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", inv),
    ["machine"] = $"{Environment.ProcessorCount} logical CPUs, {threads} threads, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
    ["model"] = new { m.Name, m.EmbedDim, m.Depth, weightsSha256 = weights.Sha256 },
    ["sampler"] = $"DDIM, {steps} steps, class 3, guidance {guidance.ToString(inv)}{(guidance != 1f ? " (two network rows per image)" : "")}, adaptive threshold {threshold.ToString("0.####", inv)}, min layers {minLayers}",
    ["throughput"] = throughput,
    ["perStage"] = perLayer,
};
File.WriteAllText(outPrefix + ".json", JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }) + "\n");
File.WriteAllText(outPrefix + ".md", KeepServingSection(outPrefix + ".md", Markdown(report, throughput, perLayer, m.Depth)));
Directory.Delete(dir, recursive: true);
Console.WriteLine($"wrote {outPrefix}.md and {outPrefix}.json");
return 0;

// docs/benchmarks.md also holds the serving benchmark's section (adadiff-serving-bench writes it between these markers):
// this program rewrites its own part above it and keeps that section as it is.
static string KeepServingSection(string path, string markdown)
{
    const string begin = "<!-- serving-benchmarks:begin", end = "<!-- serving-benchmarks:end -->";
    string existing = File.Exists(path) ? File.ReadAllText(path) : "";
    int b = existing.IndexOf(begin, StringComparison.Ordinal);
    int e = b < 0 ? -1 : existing.IndexOf(end, b, StringComparison.Ordinal);
    return b < 0 || e < 0 ? markdown : markdown.TrimEnd('\n') + "\n\n" + existing[b..(e + end.Length)] + "\n";
}

static double Median(double[] values)
{
    double[] sorted = [.. values];
    Array.Sort(sorted);
    return sorted[sorted.Length / 2];
}

static string Markdown(Dictionary<string, object> report, List<Dictionary<string, object>> throughput, List<Dictionary<string, object>> perStage, int depth)
{
    CultureInfo inv = CultureInfo.InvariantCulture;
    var md = new StringBuilder();
    md.AppendLine("# Benchmark: TorchSharp vs ONNX Runtime, full depth vs exits");
    md.AppendLine();
    md.AppendLine("Both backends load the same weights in one process; every backend and exit mode of a batch size is measured");
    md.AppendLine("once per round, in turn (best of the rounds), so each ratio below compares figures from the same minutes.");
    md.AppendLine("Generated by the command below; the numbers are this machine's, shared with other work, so read the");
    md.AppendLine("ratios (between backends, between exits and full depth) rather than the absolute values.");
    md.AppendLine();
    md.AppendLine(inv, $"- command: `{report["command"]}`");
    md.AppendLine(inv, $"- date: {report["date"]}; machine: {report["machine"]}");
    md.AppendLine(inv, $"- sampling: {report["sampler"]}; machine-readable: `benchmarks.json`");
    md.AppendLine();
    md.AppendLine("## Images per second");
    md.AppendLine();
    md.AppendLine("| batch | exits | torchsharp | onnxruntime | onnxruntime / torchsharp | mean depth |");
    md.AppendLine("|---:|---|---:|---:|---:|---:|");
    for (int i = 0; i < throughput.Count; i += 2)
    {
        Dictionary<string, object> a = throughput[i], b = throughput[i + 1];
        double ra = (double)a["imagesPerSecond"], rb = (double)b["imagesPerSecond"];
        md.AppendLine(inv, $"| {a["batch"]} | {a["mode"]} | {ra:F2} | {rb:F2} | {rb / ra:F2}× | {a["meanLayers"]:F2} of {depth} |");
    }
    md.AppendLine();
    md.AppendLine("## What the exits save in wall-clock time");
    md.AppendLine();
    md.AppendLine("Adaptive against full depth on the same backend, batch and seeds, measured in the same rounds: the layer");
    md.AppendLine("ratio is the compute the exits skip; the speed-up is what reaches the images per second after the exit");
    md.AppendLine("heads, the embedding and the output head, which every step runs at any depth.");
    md.AppendLine();
    md.AppendLine("| backend | batch | full / mean layers | speed-up (adaptive / full images per second) | share of the layer saving realised |");
    md.AppendLine("|---|---:|---:|---:|---:|");
    foreach (Dictionary<string, object> full in throughput.Where(r => (string)r["mode"] == "full"))
    {
        Dictionary<string, object> adaptive = throughput.Single(r => (string)r["mode"] == "adaptive" && (string)r["backend"] == (string)full["backend"] && (int)r["batch"] == (int)full["batch"]);
        double layerRatio = depth / (double)adaptive["meanLayers"];
        double speedup = (double)adaptive["imagesPerSecond"] / (double)full["imagesPerSecond"];
        md.AppendLine(inv, $"| {full["backend"]} | {full["batch"]} | {layerRatio:F2}× | {speedup:F2}× | {(layerRatio > 1.0001 ? ((speedup - 1) / (layerRatio - 1)).ToString("P0", inv) : "—")} |");
    }
    md.AppendLine();
    md.AppendLine("## Time per stage (median, ms)");
    md.AppendLine();
    md.AppendLine("| backend | batch | embed | layer (mean of all) | UEM certainty | head |");
    md.AppendLine("|---|---:|---:|---:|---:|---:|");
    foreach (Dictionary<string, object> s in perStage)
    {
        md.AppendLine(inv, $"| {s["backend"]} | {s["batch"]} | {s["embedMs"]:F3} | {s["meanLayerMs"]:F3} | {s["uemMs"]:F3} | {s["headMs"]:F3} |");
    }
    md.AppendLine();
    md.AppendLine("Per-layer times (ms), layers 1..depth:");
    md.AppendLine();
    foreach (Dictionary<string, object> s in perStage)
    {
        md.AppendLine(inv, $"- {s["backend"]}, batch {s["batch"]}: {string.Join(", ", ((double[])s["layerMs"]).Select(v => v.ToString("F3", inv)))}");
    }
    Dictionary<string, object> torchOne = throughput.Single(r => (string)r["backend"] == "torchsharp" && (int)r["batch"] == 1 && (string)r["mode"] == "full");
    Dictionary<string, object> onnxOne = throughput.Single(r => (string)r["backend"] == "onnxruntime" && (int)r["batch"] == 1 && (string)r["mode"] == "full");
    string faster = (double)onnxOne["imagesPerSecond"] >= (double)torchOne["imagesPerSecond"] ? "ONNX Runtime" : "TorchSharp";
    md.AppendLine();
    md.AppendLine("## Notes");
    md.AppendLine();
    md.AppendLine(inv, $"- {faster} is the faster backend at batch 1 in this run. The server's default is ONNX Runtime");
    md.AppendLine("  (`AdaDiff:Backend`, per model `AdaDiff:Models:<name>:Backend`); TorchSharp remains selectable and is the one");
    md.AppendLine("  that trains.");
    md.AppendLine("- The adaptive depth depends on the weights (SHA-256 in `benchmarks.json`) and on the threshold, min layers and");
    md.AppendLine("  guidance above; they default to the package's model.json, the settings a client gets by leaving them at 0.");
    md.AppendLine("- ONNX Runtime's global thread pool runs without spinning: with spinning on, a loaded 2-core machine gave it");
    md.AppendLine("  0.4 images/s at batch 1 instead of ≈10 (the idle stage sessions' workers took the CPU from the running one).");
    return md.ToString();
}
