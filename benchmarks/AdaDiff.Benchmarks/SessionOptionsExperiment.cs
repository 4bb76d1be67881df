using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using AdaDiff.Backends.Onnx;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Exits;
using Microsoft.ML.OnnxRuntime;

namespace AdaDiff.Benchmarks;

/// <summary>
/// ONNX Runtime's session settings side by side: each variant changes one setting from the backend's default and
/// runs in a process of its own (the intra-op pool and the arena belong to the process), the variants in turn, round
/// after round, so that the machine's load falls on all alike; the median of the rounds and their range are reported.
/// </summary>
internal static class SessionOptionsExperiment
{
    private static readonly (string Name, string What, Action<OnnxBackendOptions> Set)[] Variants =
    [
        ("default", "the backend's defaults: fused stages, one global intra-op pool without spinning, passes of up to 4 rows on the calling thread, shared arena, shared weights, all optimisations, pre-packing, no memory pattern", _ => { }),
        ("pool-for-every-pass", "every pass on the intra-op pool, small ones too (SingleThreadRows 0)", o => o.SingleThreadRows = 0),
        ("single-thread-to-8-rows", "passes of up to 8 rows on the calling thread", o => o.SingleThreadRows = 8),
        ("single-thread-to-16-rows", "passes of up to 16 rows on the calling thread", o => o.SingleThreadRows = 16),
        ("spinning", "intra-op threads spin while waiting for work", o => o.SpinThreads = true),
        ("one-thread", "one intra-op thread (every operator on the calling thread)", o => o.Threads = 1),
        ("pools-per-session", "an intra-op pool per session (what every session had before the environment was created first)", _ => { }),
        ("optimization-extended", "graph optimisation level extended (no layout transformations)", o => o.OptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED),
        ("optimization-basic", "graph optimisation level basic (no GELU, bias or MatMul fusions)", o => o.OptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC),
        ("memory-pattern", "memory pattern planning on (ONNX Runtime's default)", o => o.MemoryPattern = true),
        ("no-prepacking", "kernels do not pre-pack their weights", o => o.Prepacking = false),
        ("unshared-weights", "each session holds its own weights (no shared initializers, no pre-packed container)", o => o.ShareWeights = false),
        ("arena-per-session", "an arena per session instead of the environment's", o => o.SharedArena = false),
        ("per-stage", "no fused stages: one stage a call", o => o.FusedStages = false),
    ];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static readonly (string Name, int Batch, bool Adaptive, int Generations)[] Workloads =
    [
        ("batch 1 full", 1, false, 4), ("batch 1 adaptive", 1, true, 4), ("batch 4 full", 4, false, 2), ("batch 4 adaptive", 4, true, 2),
        ("batch 16 full", 16, false, 1), ("batch 16 adaptive", 16, true, 1),
    ];

    public static async Task<int> Run(string package, int threads, int steps, int rounds, string outPrefix, string command, string? only = null)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        HashSet<string>? chosen = string.IsNullOrWhiteSpace(only) ? null : [.. only.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
        string[] unknown = chosen is null ? [] : [.. chosen.Where(c => !Variants.Any(v => v.Name == c))];
        if (unknown.Length > 0)
        {
            Console.Error.WriteLine($"unknown variant(s) {string.Join(", ", unknown)}; the variants are {string.Join(", ", Variants.Select(v => v.Name))}");
            return 2;
        }
        var variants = Variants.Where(v => chosen is null || v.Name == "default" || chosen.Contains(v.Name)).ToArray(); // the default always runs: ratios are against it
        var samples = variants.ToDictionary(v => v.Name, _ => new List<JsonElement>(), StringComparer.Ordinal);
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < variants.Length; i++)
            {
                string name = variants[(i + round) % variants.Length].Name; // a different order every round
                JsonElement result = await RunChildProcess(name, package, threads, steps);
                samples[name].Add(result);
                Console.WriteLine($"round {round + 1}/{rounds} {name,-22} {result.GetRawText()}");
            }
        }

        var rows = new List<Dictionary<string, object>>();
        foreach ((string name, string what, _) in variants)
        {
            List<JsonElement> runs = samples[name];
            var row = new Dictionary<string, object> { ["variant"] = name, ["what"] = what };
            foreach ((string workload, _, _, _) in Workloads)
            {
                double[] values = [.. runs.Select(r => r.GetProperty("imagesPerSecond").GetProperty(workload).GetDouble())];
                row[workload] = new Cell(Math.Round(Stats.Median(values), 2), Math.Round(values.Min(), 2), Math.Round(values.Max(), 2), [.. values.Select(v => Math.Round(v, 2))]);
            }
            row["loadSeconds"] = Math.Round(Stats.Median([.. runs.Select(r => r.GetProperty("loadSeconds").GetDouble())]), 2);
            row["rssAfterLoadMb"] = Math.Round(Stats.Median([.. runs.Select(r => r.GetProperty("rssAfterLoadMb").GetDouble())]), 1);
            row["rssAtEndMb"] = Math.Round(Stats.Median([.. runs.Select(r => r.GetProperty("rssAtEndMb").GetDouble())]), 1);
            row["threads"] = runs[0].GetProperty("threads").GetInt32();
            row["sessions"] = runs[0].GetProperty("sessions").GetInt32();
            rows.Add(row);
        }
        var report = new Dictionary<string, object>
        {
            ["command"] = command,
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", inv),
            ["machine"] = $"{Environment.ProcessorCount} logical CPUs, {threads} threads, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, load average {Stats.LoadAverage()} at the end",
            ["sampling"] = $"DDIM, {steps} steps, class 3, the package's guidance, threshold and min layers; batch 1: 4 generations a sample, batch 4: 2, batch 16: 1",
            ["rounds"] = rounds,
            ["variants"] = rows,
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPrefix))!);
        File.WriteAllText(outPrefix + ".json", JsonSerializer.Serialize(report, Json) + "\n");
        File.WriteAllText(outPrefix + ".md", Markdown(report, rows));
        Console.WriteLine($"wrote {outPrefix}.md and {outPrefix}.json");
        return 0;
    }

    /// <summary>One variant in this process: load, warm up, one sample of every workload; prints one RESULT line of JSON.</summary>
    public static async Task<int> RunChild(string name, string package, int threads, int steps)
    {
        (string _, string _, Action<OnnxBackendOptions> set) = Variants.Single(v => v.Name == name);
        var options = new OnnxBackendOptions { Threads = threads };
        set(options);
        if (name == "pools-per-session")
        {
            using (new SessionOptions())
            {
                // Creates ONNX Runtime's default environment first, so that the backend's sessions get pools of their own.
            }
        }
        long start = Stopwatch.GetTimestamp();
        using OnnxBackend backend = OnnxBackend.Load(package, options);
        BackendWarmup.Run(backend);
        double loadSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        double rssAfterLoad = Stats.RssMegabytes();
        ModelManifest m = backend.Manifest;
        var ips = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach ((string workload, int batch, bool adaptive, int generations) in Workloads)
        {
            ExitPolicySettings exit = adaptive ? new ExitPolicySettings(ExitMode.Adaptive, m.DefaultThreshold, m.DefaultMinLayers, 0) : ExitPolicySettings.Full;
            AdaDiff.Engine.GenerationRequest request = AdaDiff.Benchmarks.Workloads.Request(batch, steps, m.DefaultGuidanceScale, exit);
            await AdaDiff.Benchmarks.Workloads.ImagesPerSecond(backend, request, 1, m.Depth); // warm-up
            (ips[workload], _) = await AdaDiff.Benchmarks.Workloads.ImagesPerSecond(backend, request, generations, m.Depth);
        }
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var result = new
        {
            imagesPerSecond = ips,
            loadSeconds,
            rssAfterLoadMb = rssAfterLoad,
            rssAtEndMb = Stats.RssMegabytes(),
            threads = Stats.Threads(),
            sessions = backend.SessionCount,
        };
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        return 0;
    }

    private static async Task<JsonElement> RunChildProcess(string name, string package, int threads, int steps)
    {
        string self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }
        foreach (string arg in new[] { "--child", name, "--package", package, "--threads", threads.ToString(CultureInfo.InvariantCulture), "--steps", steps.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }
        using Process child = Process.Start(start)!;
        Task<string> stderr = child.StandardError.ReadToEndAsync();
        string stdout = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        string? line = stdout.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"variant {name} failed (exit {child.ExitCode}): {stdout}{await stderr}");
        }
        return JsonDocument.Parse(line["RESULT ".Length..]).RootElement.Clone();
    }

    private static string Markdown(Dictionary<string, object> report, List<Dictionary<string, object>> rows)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("# ONNX Runtime session settings, side by side");
        md.AppendLine();
        md.AppendLine("Each variant changes one setting from the ONNX backend's defaults and runs in a process of its own (the intra-op");
        md.AppendLine("pool and the arena belong to the process); the variants run in turn, in a different order every round, so the");
        md.AppendLine(inv, $"load of this shared machine falls on all alike. Images per second: the median of {report["rounds"]} rounds, their range in");
        md.AppendLine("brackets, and the median against the default's. RSS after loading and warming up, and at the end of the runs.");
        md.AppendLine("Generated by the command below; the JSON beside this file holds every round.");
        md.AppendLine();
        md.AppendLine(inv, $"- command: `{report["command"]}`");
        md.AppendLine(inv, $"- date: {report["date"]}; machine: {report["machine"]}");
        md.AppendLine(inv, $"- sampling: {report["sampling"]}");
        md.AppendLine();
        md.Append("| variant |");
        foreach ((string workload, _, _, _) in Workloads)
        {
            md.Append(inv, $" {workload} |");
        }
        md.AppendLine(" load (s) | RSS after load (MB) | RSS at end (MB) | threads | sessions |");
        md.Append("|---|");
        md.Append(string.Concat(Enumerable.Repeat("---:|", Workloads.Length + 5)));
        md.AppendLine();
        Dictionary<string, object> baseline = rows[0];
        foreach (Dictionary<string, object> row in rows)
        {
            md.Append(inv, $"| {row["variant"]} |");
            foreach ((string workload, _, _, _) in Workloads)
            {
                var cell = (Cell)row[workload];
                var reference = (Cell)baseline[workload];
                md.Append(inv, $" {cell.Median:F2} ({cell.Min:F2}–{cell.Max:F2}) {cell.Median / reference.Median:F2}× |");
            }
            md.AppendLine(inv, $" {row["loadSeconds"]:F1} | {row["rssAfterLoadMb"]:F0} | {row["rssAtEndMb"]:F0} | {row["threads"]} | {row["sessions"]} |");
        }
        md.AppendLine();
        md.AppendLine("What each variant changes:");
        md.AppendLine();
        foreach (Dictionary<string, object> row in rows)
        {
            md.AppendLine(inv, $"- `{row["variant"]}`: {row["what"]}.");
        }
        return md.ToString();
    }

    /// <summary>Images per second of one workload over the rounds.</summary>
    private sealed record Cell(double Median, double Min, double Max, double[] Rounds);
}
