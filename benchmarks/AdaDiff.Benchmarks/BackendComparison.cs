using System.Globalization;
using System.Text.Json;
using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Scheduling;
using AdaDiff.Packaging;

namespace AdaDiff.Benchmarks;

/// <summary>What <see cref="BackendComparison"/> runs: the command line's values.</summary>
/// <param name="Package">Model package folder.</param>
/// <param name="Threads">Intra-op threads of every backend.</param>
/// <param name="Steps">DDIM steps.</param>
/// <param name="Rounds">Rounds; each measures every configuration and exit mode once, in turn.</param>
/// <param name="Configs">Configurations: torchsharp, torchsharp-per-stage, onnxruntime, onnxruntime-per-stage.</param>
/// <param name="Threshold">Adaptive threshold; null: the package's.</param>
/// <param name="MinLayers">Min layers; null: the package's.</param>
/// <param name="Guidance">Guidance scale; null: the package's.</param>
/// <param name="OutPrefix">Writes &lt;OutPrefix&gt;.md and .json.</param>
/// <param name="Command">The command line, recorded in the report.</param>
internal sealed record ComparisonArgs(
    string Package, int Threads, int Steps, int Rounds, IReadOnlyList<string> Configs,
    float? Threshold, int? MinLayers, float? Guidance, string OutPrefix, string Command);

/// <summary>
/// Backends on the same weights in one process, measured in alternation (ABAB) so that load from other processes hits
/// them alike: images/s at batch 1 and 16, full depth and adaptive, and time per stage and per fused call.
/// </summary>
internal static class BackendComparison
{
    public const string ConfigNames = "torchsharp, torchsharp-per-stage, onnxruntime, onnxruntime-per-stage";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static async Task<int> RunAsync(ComparisonArgs a)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        string package = a.Package;
        int threads = a.Threads;
        int steps = a.Steps;
        int rounds = a.Rounds;
        string[] configs = [.. a.Configs];
        string outPrefix = a.OutPrefix;
        string command = a.Command;

        // A private copy of the package: the trainer may replace the weights while we run.
        string dir = Path.Combine(Path.GetTempPath(), "adadiff-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        PackageWeights weights = PackageWeights.Read(package);
        File.Copy(Path.Combine(package, ModelPackage.ManifestFileName), Path.Combine(dir, ModelPackage.ManifestFileName));
        File.WriteAllBytes(Path.Combine(dir, weights.Manifest.Weights.File), weights.Bytes);
        OnnxExport.Create(weights.Manifest, weights.Bytes, weights.Path).Write(dir);

        var owned = new List<IDisposable>();
        IDenoiserBackend Open(string config)
        {
            switch (config)
            {
                case "torchsharp" or "torchsharp-per-stage":
                    var torch = TorchSharpBackend.Load(dir, new TorchSharpBackendOptions { Threads = threads });
                    owned.Add(torch);
                    return config == "torchsharp" ? torch : new PerStageBackend(torch);
                case "onnxruntime" or "onnxruntime-per-stage":
                    bool fused = config == "onnxruntime";
                    var onnx = OnnxBackend.Load(dir, new OnnxBackendOptions { Threads = threads, ReexportWhenStale = false, FusedStages = fused });
                    owned.Add(onnx);
                    return fused ? onnx : new PerStageBackend(onnx);
                default:
                    throw new ArgumentException($"unknown configuration '{config}' ({ConfigNames})");
            }
        }
        IDenoiserBackend[] backends = [.. configs.Select(Open)];
        ModelManifest m = backends[0].Manifest;
        float threshold = a.Threshold ?? m.DefaultThreshold;
                int minLayers = a.MinLayers ?? m.DefaultMinLayers;
                float guidance = a.Guidance ?? m.DefaultGuidanceScale;

        // Every (exit mode, configuration) of a batch size is measured once per round, in turn, so the ratios between
        // configurations and between full depth and exits come from the same stretch of time; the median of the rounds is
        // reported with their range.
        string[] modes = ["full", "adaptive"];
        var throughput = new List<Dictionary<string, object>>();
        foreach (int batch in new[] { 1, 16 })
        {
            GenerationRequest request(string mode) => Workloads.Request(batch, steps, guidance, mode == "full" ? ExitPolicySettings.Full : new ExitPolicySettings(ExitMode.Adaptive, threshold, minLayers, 0));
            int generations = batch == 1 ? 4 : 1;
            var samples = new double[modes.Length, backends.Length, rounds];
            var layers = new double[modes.Length, backends.Length];
            for (int mi = 0; mi < modes.Length; mi++)
            {
                foreach (IDenoiserBackend backend in backends)
                {
                    await GenerationRunner.RunAsync(backend, request(modes[mi])); // warm-up
                }
            }
            for (int round = 0; round < rounds; round++)
            {
                for (int mi = 0; mi < modes.Length; mi++)
                {
                    for (int b = 0; b < backends.Length; b++)
                    {
                        (samples[mi, b, round], layers[mi, b]) = await Workloads.ImagesPerSecond(backends[b], request(modes[mi]), generations, m.Depth);
                    }
                }
            }
            for (int mi = 0; mi < modes.Length; mi++)
            {
                for (int b = 0; b < backends.Length; b++)
                {
                    double[] s = [.. Enumerable.Range(0, rounds).Select(r => samples[mi, b, r])];
                    throughput.Add(new()
                    {
                        ["config"] = configs[b], ["batch"] = batch, ["mode"] = modes[mi],
                        ["imagesPerSecond"] = Math.Round(Stats.Median(s), 2), ["min"] = Math.Round(s.Min(), 2), ["max"] = Math.Round(s.Max(), 2),
                        ["rounds"] = s.Select(v => Math.Round(v, 2)).ToArray(), ["meanLayers"] = Math.Round(layers[mi, b], 2),
                    });
                    Console.WriteLine($"{configs[b],-22} batch {batch,2} {modes[mi],-8} {Stats.Median(s),8:F2} images/s ({s.Min():F2}–{s.Max():F2})  mean depth {layers[mi, b]:F2}");
                }
            }
        }

        // Time per call, median of repeated passes: per stage (embed, each layer, one UEM, the head), and the fused calls a
        // pass makes (embed + the layers before min_layers, a layer with its UEM, the whole network).
        var perStage = new List<Dictionary<string, object>>();
        foreach (int batch in new[] { 1, 2, 16 })
        {
            for (int b = 0; b < backends.Length; b++)
            {
                if (backends[b] is PerStageBackend && configs.Contains(configs[b].Replace("-per-stage", "", StringComparison.Ordinal)))
                {
                    continue; // the same stages as the fused configuration's per-stage calls
                }
                Dictionary<string, object> timing = StageTimer.Measure(backends[b], configs[b], batch, minLayers, repeats: batch == 16 ? 15 : 60);
                perStage.Add(timing);
                Console.WriteLine($"{configs[b],-22} batch {batch,2}: layer {timing["meanLayerMs"]} ms, embed {timing["embedMs"]}, uem {timing["uemMs"]}, head {timing["headMs"]}; " +
                    $"fused: whole network {timing["wholeNetworkMs"]} ms ({timing["wholeNetworkPerLayerMs"]} a layer), embed + {minLayers - 1} layers {timing["prefixMs"]}, layer + UEM {timing["layerWithUemMs"]}; " +
                    $"passes per stage / fused: full {timing["fullPassPerStageMs"]} / {timing["fullPassFusedMs"]} ms, adaptive {timing["adaptivePassPerStageMs"]} / {timing["adaptivePassFusedMs"]} ms");
            }
        }

        var report = new Dictionary<string, object>
        {
            ["command"] = command,
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", inv),
            ["machine"] = $"{Environment.ProcessorCount} logical CPUs, {threads} threads, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, load average {Stats.LoadAverage()} at the end",
            ["model"] = new { m.Name, m.EmbedDim, m.Depth, weightsSha256 = weights.Sha256 },
            ["sampler"] = $"DDIM, {steps} steps, class 3, guidance {guidance.ToString(inv)}{(guidance != 1f ? " (two network rows per image)" : "")}, adaptive threshold {threshold.ToString("0.####", inv)}, min layers {minLayers}",
            ["rounds"] = rounds,
            ["throughput"] = throughput,
            ["perStage"] = perStage,
        };
        File.WriteAllText(outPrefix + ".json", JsonSerializer.Serialize(report, Json) + "\n");
        File.WriteAllText(outPrefix + ".md", KeepServingSection(outPrefix + ".md", BenchmarkReport.Markdown(report, configs, throughput, perStage, m.Depth, minLayers)));
        foreach (IDisposable d in owned)
        {
            d.Dispose();
        }
        Directory.Delete(dir, recursive: true);
        Console.WriteLine($"wrote {outPrefix}.md and {outPrefix}.json");
        return 0;
    }

    // docs/benchmarks.md also holds the serving benchmark's section (adadiff-serving-bench writes it between these markers):
    // this program rewrites its own part above it and keeps that section as it is.
    private static string KeepServingSection(string path, string markdown)
    {
        const string begin = "<!-- serving-benchmarks:begin", end = "<!-- serving-benchmarks:end -->";
        string existing = File.Exists(path) ? File.ReadAllText(path) : "";
        int b = existing.IndexOf(begin, StringComparison.Ordinal);
        int e = b < 0 ? -1 : existing.IndexOf(end, b, StringComparison.Ordinal);
        return b < 0 || e < 0 ? markdown : markdown.TrimEnd('\n') + "\n\n" + existing[b..(e + end.Length)] + "\n";
    }
}
