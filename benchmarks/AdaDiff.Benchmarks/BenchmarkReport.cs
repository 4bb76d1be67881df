using System.Globalization;
using System.Text;

namespace AdaDiff.Benchmarks;

/// <summary>The markdown of a benchmark run (its JSON beside it holds every round).</summary>
internal static class BenchmarkReport
{
    public static string Markdown(Dictionary<string, object> report, string[] configs, List<Dictionary<string, object>> throughput,
        List<Dictionary<string, object>> perStage, int depth, int minLayers)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(inv, $"# Benchmark: {string.Join(", ", configs)}; full depth vs exits");
        md.AppendLine();
        md.AppendLine("The configurations load the same weights in one process; every configuration and exit mode of a batch size");
        md.AppendLine(inv, $"is measured once per round, in turn, so each ratio below compares figures from the same minutes: the median of");
        md.AppendLine(inv, $"{report["rounds"]} rounds, with the range of the rounds in brackets. The numbers are this machine's, shared with other");
        md.AppendLine("work, so read the ratios rather than the absolute values. `torchsharp` and `onnxruntime` run each pass in the few");
        md.AppendLine("calls the engine plans (fused where the backend has fused calls); `…-per-stage` run one stage a call, as every");
        md.AppendLine("pass did before the engine planned them.");
        md.AppendLine();
        md.AppendLine(inv, $"- command: `{report["command"]}`");
        md.AppendLine(inv, $"- date: {report["date"]}; machine: {report["machine"]}");
        md.AppendLine(inv, $"- sampling: {report["sampler"]}; machine-readable: the `.json` beside this file");
        md.AppendLine();
        md.AppendLine("## Images per second");
        md.AppendLine();
        List<(string Name, string Numerator, string Denominator)> ratios = [];
        if (configs.Contains("onnxruntime") && configs.Contains("torchsharp"))
        {
            ratios.Add(("onnxruntime / torchsharp", "onnxruntime", "torchsharp"));
        }
        foreach (string config in configs.Where(c => configs.Contains(c + "-per-stage")))
        {
            ratios.Add(($"{config}: planned / per-stage", config, config + "-per-stage"));
        }
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
        md.Append(string.Concat(Enumerable.Repeat("---:|", configs.Length + ratios.Count)));
        md.AppendLine("---:|");
        foreach (int batch in new[] { 1, 16 })
        {
            foreach (string mode in new[] { "full", "adaptive" })
            {
                Dictionary<string, object> Row(string config) => throughput.Single(r => (string)r["config"] == config && (int)r["batch"] == batch && (string)r["mode"] == mode);
                md.Append(inv, $"| {batch} | {mode} |");
                foreach (string config in configs)
                {
                    Dictionary<string, object> row = Row(config);
                    md.Append(inv, $" {(double)row["imagesPerSecond"]:F2} ({(double)row["min"]:F2}–{(double)row["max"]:F2}) |");
                }
                foreach ((_, string numerator, string denominator) in ratios)
                {
                    md.Append(inv, $" {(double)Row(numerator)["imagesPerSecond"] / (double)Row(denominator)["imagesPerSecond"]:F2}× |");
                }
                md.AppendLine(inv, $" {(double)Row(configs[0])["meanLayers"]:F2} of {depth} |");
            }
        }
        md.AppendLine();
        md.AppendLine("## What the exits save in wall-clock time");
        md.AppendLine();
        md.AppendLine("Adaptive against full depth on the same configuration, batch and seeds, measured in the same rounds: the layer");
        md.AppendLine("ratio is the compute the exits skip; the speed-up is what reaches the images per second after the exit");
        md.AppendLine("heads, the embedding and the output head, which every step runs at any depth.");
        md.AppendLine();
        md.AppendLine("| configuration | batch | full / mean layers | speed-up (adaptive / full images per second) | share of the layer saving realised |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (Dictionary<string, object> full in throughput.Where(r => (string)r["mode"] == "full"))
        {
            Dictionary<string, object> adaptive = throughput.Single(r => (string)r["mode"] == "adaptive" && (string)r["config"] == (string)full["config"] && (int)r["batch"] == (int)full["batch"]);
            double layerRatio = depth / (double)adaptive["meanLayers"];
            double speedup = (double)adaptive["imagesPerSecond"] / (double)full["imagesPerSecond"];
            md.AppendLine(inv, $"| {full["config"]} | {full["batch"]} | {layerRatio:F2}× | {speedup:F2}× | {(layerRatio > 1.0001 ? ((speedup - 1) / (layerRatio - 1)).ToString("P0", inv) : "—")} |");
        }
        md.AppendLine();
        md.AppendLine("## Time per call (median, ms)");
        md.AppendLine();
        md.AppendLine("Each stage on its own (embed is Begin + layer 1 − layer 2: the ONNX backend embeds with its first call), and");
        md.AppendLine(inv, $"the fused calls a pass makes: embed with the layers before min layers {minLayers}, a layer with its UEM (mean over");
        md.AppendLine("the layers after them), the whole network from embed to head.");
        md.AppendLine();
        md.AppendLine("| configuration | batch | embed | layer (mean of all) | UEM certainty | head | whole network | whole network per layer | embed + layers before min | layer + UEM |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (Dictionary<string, object> s in perStage)
        {
            md.AppendLine(inv, $"| {s["config"]} | {s["batch"]} | {s["embedMs"]:F3} | {s["meanLayerMs"]:F3} | {s["uemMs"]:F3} | {s["headMs"]:F3} | {s["wholeNetworkMs"]:F3} | {s["wholeNetworkPerLayerMs"]:F3} | {s["prefixMs"]:F3} ({s["prefixLayers"]} layers) | {s["layerWithUemMs"]:F3} |");
        }
        md.AppendLine();
        md.AppendLine("Whole passes timed as a whole (median, ms), stage by stage and in the fused calls, in alternation: full depth");
        md.AppendLine(inv, $"(Begin, {depth} × RunLayer, Predict against PredictAtDepth) and adaptive with every row to the last layer (certainty");
        md.AppendLine(inv, $"from layer {minLayers} on: RunLayer + Certainty against RunLayers + RunLayerWithCertainty). On a loaded machine these");
        md.AppendLine("compare like with like; sums of the per-call medians above do not (a long call cannot dodge a preemption).");
        md.AppendLine();
        md.AppendLine("| configuration | batch | full: per stage | full: fused | fused / per stage | adaptive: per stage | adaptive: fused | fused / per stage |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (Dictionary<string, object> s in perStage)
        {
            double fp = (double)s["fullPassPerStageMs"], ff = (double)s["fullPassFusedMs"], ap = (double)s["adaptivePassPerStageMs"], af = (double)s["adaptivePassFusedMs"];
            md.AppendLine(inv, $"| {s["config"]} | {s["batch"]} | {fp:F3} | {ff:F3} | {ff / fp:F2} | {ap:F3} | {af:F3} | {af / ap:F2} |");
        }
        md.AppendLine();
        md.AppendLine("Per-layer times (ms), layers 1..depth, each stage on its own:");
        md.AppendLine();
        foreach (Dictionary<string, object> s in perStage)
        {
            md.AppendLine(inv, $"- {s["config"]}, batch {s["batch"]}: {string.Join(", ", ((double[])s["layerMs"]).Select(v => v.ToString("F3", inv)))}");
        }
        md.AppendLine();
        md.AppendLine("## Notes");
        md.AppendLine();
        md.AppendLine("- The server's default backend is ONNX Runtime (`AdaDiff:Backend`, per model `AdaDiff:Models:<name>:Backend`);");
        md.AppendLine("  TorchSharp remains selectable and is the one that trains.");
        md.AppendLine("- The adaptive depth depends on the weights (SHA-256 in the `.json`) and on the threshold, min layers and");
        md.AppendLine("  guidance above; they default to the package's model.json, the settings a client gets by leaving them at 0.");
        md.AppendLine("- ONNX Runtime's session settings (one global intra-op pool without spinning, one shared arena, shared weights)");
        md.AppendLine("  are measured side by side in `docs/experiments/ort-session-options.md`.");
        return md.ToString();
    }
}
