using System.Globalization;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;

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

    public static async Task<int> RunAsync(ComparisonArgs a)
    {
        using (ComparisonBackends backends = ComparisonBackends.Open(a.Package, a.Configs, a.Threads))
        {
            ModelManifest m = backends.Manifest;
            var sampling = new ComparisonSampling(a.Threshold ?? m.DefaultThreshold, a.MinLayers ?? m.DefaultMinLayers, a.Guidance ?? m.DefaultGuidanceScale);
            List<ThroughputRow> throughput = await ThroughputRounds.MeasureAsync(backends, a.Steps, a.Rounds, sampling);
            List<StageTiming> perStage = TimeStages(backends, sampling.MinLayers);
            BenchmarkRun run = Describe(a, backends, sampling, throughput, perStage);
            File.WriteAllText(a.OutPrefix + ".json", run.ToJson());
            File.WriteAllText(a.OutPrefix + ".md", KeepServingSection(a.OutPrefix + ".md", BenchmarkReport.Markdown(run, backends.Configs, sampling.MinLayers)));
        }
        Console.WriteLine($"wrote {a.OutPrefix}.md and {a.OutPrefix}.json");
        return 0;
    }

    /// <summary>
    /// Time per call, median of repeated passes, at batch 1, 2 and 16: per stage (embed, each layer, one UEM, the head),
    /// and the fused calls a pass makes (embed + the layers before min_layers, a layer with its UEM, the whole network).
    /// </summary>
    private static List<StageTiming> TimeStages(ComparisonBackends backends, int minLayers)
    {
        string[] configs = backends.Configs;
        var perStage = new List<StageTiming>();
        foreach (int batch in new[] { 1, 2, 16 })
        {
            for (int b = 0; b < configs.Length; b++)
            {
                if (backends.Backends[b] is PerStageBackend && configs.Contains(configs[b].Replace("-per-stage", "", StringComparison.Ordinal)))
                {
                    continue; // the same stages as the fused configuration's per-stage calls
                }
                StageTiming timing = StageTimer.Measure(backends.Backends[b], configs[b], batch, minLayers, repeats: batch == 16 ? 15 : 60);
                perStage.Add(timing);
                Console.WriteLine($"{configs[b],-22} batch {batch,2}: layer {timing.MeanLayerMs} ms, embed {timing.EmbedMs}, uem {timing.UemMs}, head {timing.HeadMs}; " +
                    $"fused: whole network {timing.WholeNetworkMs} ms ({timing.WholeNetworkPerLayerMs} a layer), embed + {minLayers - 1} layers {timing.PrefixMs}, layer + UEM {timing.LayerWithUemMs}; " +
                    $"passes per stage / fused: full {timing.FullPassPerStageMs} / {timing.FullPassFusedMs} ms, adaptive {timing.AdaptivePassPerStageMs} / {timing.AdaptivePassFusedMs} ms");
            }
        }
        return perStage;
    }

    /// <summary>The run as its JSON records it: the command, when, on what machine and model, the sampling, and the figures.</summary>
    private static BenchmarkRun Describe(ComparisonArgs a, ComparisonBackends backends, ComparisonSampling sampling, List<ThroughputRow> throughput, List<StageTiming> perStage)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        ModelManifest m = backends.Manifest;
        float guidance = sampling.Guidance;
        return new BenchmarkRun(
            a.Command,
            DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", inv),
            $"{Environment.ProcessorCount} logical CPUs, {a.Threads} threads, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, load average {Stats.LoadAverage()} at the end",
            new ModelSummary(m.Name, m.EmbedDim, m.Depth, backends.WeightsSha256),
            $"DDIM, {a.Steps} steps, class 3, guidance {guidance.ToString(inv)}{(guidance != 1f ? " (two network rows per image)" : "")}, adaptive threshold {sampling.Threshold.ToString("0.####", inv)}, min layers {sampling.MinLayers}",
            a.Rounds,
            throughput,
            perStage);
    }

    // docs/benchmarks.md also holds the serving benchmark's section (adadiff-serving-bench writes it between these markers)
    // and, after it, what people wrote about both: this program rewrites its own part above it and keeps the rest as it is.
    private static string KeepServingSection(string path, string markdown)
    {
        const string begin = "<!-- serving-benchmarks:begin", end = "<!-- serving-benchmarks:end -->";
        string existing = File.Exists(path) ? File.ReadAllText(path) : "";
        int b = existing.IndexOf(begin, StringComparison.Ordinal);
        int e = b < 0 ? -1 : existing.IndexOf(end, b, StringComparison.Ordinal);
        return b < 0 || e < 0 ? markdown : markdown.TrimEnd('\n') + "\n\n" + existing[b..].TrimEnd('\n') + "\n";
    }
}
