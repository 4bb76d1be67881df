using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Scheduling;

// adadiff-bench: both backends on the same weights in one process, measured in alternation (ABAB) so that
// load from other processes hits both alike. Usage:
//   adadiff-bench [--package models/fashion-mnist-uvit] [--threads 2] [--steps 20] [--rounds 3]
//                 [--threshold 0.5] [--out docs/benchmarks]   (writes <out>.md and <out>.json)
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
float threshold = float.Parse(Get("threshold", "0.5"), inv);
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

var throughput = new List<Dictionary<string, object>>();
foreach (int batch in new[] { 1, 16 })
{
    foreach (string mode in new[] { "full", "adaptive" })
    {
        var request = new GenerationRequest
        {
            NumImages = batch,
            Seed = 7,
            Sampler = SamplerKind.Ddim,
            Steps = steps,
            ClassLabel = 3,
            Exit = mode == "full" ? ExitPolicySettings.Full : new ExitPolicySettings(ExitMode.Adaptive, threshold, 1, 0),
        };
        int generations = batch == 1 ? 4 : 1;
        var best = new double[backends.Length];
        var layers = new double[backends.Length];
        foreach (IDenoiserBackend backend in backends)
        {
            await GenerationRunner.RunAsync(backend, request); // warm-up
        }
        for (int round = 0; round < rounds; round++)
        {
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
                best[b] = Math.Max(best[b], ips);
                layers[b] = (double)executed / full * m.Depth;
            }
        }
        for (int b = 0; b < backends.Length; b++)
        {
            throughput.Add(new()
            {
                ["backend"] = backends[b].Name, ["batch"] = batch, ["mode"] = mode,
                ["imagesPerSecond"] = Math.Round(best[b], 2), ["meanLayers"] = Math.Round(layers[b], 2),
            });
            Console.WriteLine($"{backends[b].Name,-12} batch {batch,2} {mode,-8} {best[b],8:F2} images/s  mean depth {layers[b]:F2}");
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
    ["sampler"] = $"DDIM, {steps} steps, class 3, adaptive threshold {threshold.ToString(inv)}",
    ["throughput"] = throughput,
    ["perStage"] = perLayer,
};
File.WriteAllText(outPrefix + ".json", JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }) + "\n");
File.WriteAllText(outPrefix + ".md", Markdown(report, throughput, perLayer, m.Depth));
Directory.Delete(dir, recursive: true);
Console.WriteLine($"wrote {outPrefix}.md and {outPrefix}.json");
return 0;

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
    md.AppendLine("# Backend benchmark: TorchSharp vs ONNX Runtime");
    md.AppendLine();
    md.AppendLine("Both backends load the same weights in one process and are measured in alternation (best of the rounds).");
    md.AppendLine("Generated by the command below; the numbers are this machine's, shared with other work, so read the");
    md.AppendLine("ratios between backends rather than the absolute values.");
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
    return md.ToString();
}
