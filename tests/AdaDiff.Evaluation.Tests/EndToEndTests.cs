using System.Text.Json;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Engine;
using SkiaSharp;
using static TorchSharp.torch;
using AdaDiff.Packaging;

namespace AdaDiff.Evaluation.Tests;

public sealed class EndToEndTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), $"adadiff-eval-e2e-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task RunAsync_TinyModel_WritesJsonMarkdownAndPictures()
    {
        string package = Path.Combine(root, "tiny-fmnist");
        WriteTinyPackage(package);
        string outDir = Path.Combine(root, "results");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int rc = await EvalCommand.RunAsync(
            ["--model", package, "--samples", "20", "--target-samples", "30", "--write-default", "--steps", "3", "--thresholds", "0.3,0.6",
             "--ddpm-steps", "4", "--ddpm-samples", "10", "--ddim-steps", "2", "--dpm-steps", "2", "--unconditional", "8",
             "--job-images", "10", "--max-batch-rows", "20", "--threads", "1", "--min-layers", "2", "--out", outDir],
            stdout, stderr, CancellationToken.None);

        Assert.True(rc == 0, stderr.ToString());
        Assert.Contains("[eval]", stderr.ToString(), StringComparison.Ordinal); // progress line
        using JsonDocument json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "results.json")));
        JsonElement runs = json.RootElement.GetProperty("runs");
        var groups = runs.EnumerateArray().Select(r => r.GetProperty("group").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "full", "adaptive", "per-batch", "steps", "unconditional", "target", "schedule" }, groups);
        // The timestep schedule: one depth per step, every image at that depth, so its mean depth is the schedule's mean.
        JsonElement schedule = runs.EnumerateArray().Single(r => r.GetProperty("group").GetString() == "schedule");
        int[] depths = [.. schedule.GetProperty("depthSchedule").EnumerateArray().Select(d => d.GetInt32())];
        Assert.Equal(3, depths.Length);
        Assert.All(depths, d => Assert.InRange(d, 1, 3));
        Assert.Equal(depths.Average(), schedule.GetProperty("meanLayers").GetDouble(), 9);
        foreach (JsonElement run in runs.EnumerateArray())
        {
            double layers = run.GetProperty("meanLayers").GetDouble();
            Assert.InRange(layers, 1, 3);
            if (run.GetProperty("mode").GetString() == "FullDepth")
            {
                Assert.Equal(3, layers, 9);
                Assert.Equal(0, run.GetProperty("accelerationRatio").GetDouble(), 9);
            }
        }
        Assert.True(json.RootElement.GetProperty("classifier").GetProperty("testAccuracy").GetDouble() >= 0.9);
        Assert.Equal(2, json.RootElement.GetProperty("equalDepth").GetArrayLength());
        // Every FID-proxy and accuracy carries its bootstrap interval; the paired difference against static truncation is
        // per-sample minus the interpolated static FID-proxy, the same figure the table shows.
        foreach (JsonElement run in runs.EnumerateArray().Where(r => r.GetProperty("samples").GetInt32() >= 2))
        {
            JsonElement fid = run.GetProperty("fidInterval");
            Assert.True(fid.GetProperty("low").GetDouble() < fid.GetProperty("high").GetDouble());
            Assert.Equal(run.GetProperty("fid").GetDouble(), fid.GetProperty("estimate").GetDouble(), 9);
        }
        int withDifference = 0;
        foreach (JsonElement row in json.RootElement.GetProperty("equalDepth").EnumerateArray())
        {
            if (row.TryGetProperty("staticDifference", out JsonElement d) && d.ValueKind == JsonValueKind.Object)
            {
                withDifference++;
                Assert.Equal(row.GetProperty("fidPerSample").GetDouble() - row.GetProperty("fidStatic").GetDouble(), d.GetProperty("estimate").GetDouble(), 6);
                Assert.True(d.GetProperty("low").GetDouble() <= d.GetProperty("high").GetDouble());
            }
        }
        Assert.True(withDifference > 0, "no per-sample point had a paired interval against static truncation");

        // The targets are judged on their own 30-image runs at a threshold chosen from the sweep, which --write-default
        // stores as the package's default (with how it was chosen) in a manifest that still loads.
        JsonElement targets = json.RootElement.GetProperty("targets");
        Assert.Equal(30, targets.GetProperty("samples").GetInt32());
        Assert.Equal(6, targets.GetProperty("checks").GetArrayLength());
        float chosen = targets.GetProperty("selection").GetProperty("threshold").GetSingle();
        Assert.Contains(chosen, new[] { 0.3f, 0.6f });
        Assert.Contains(runs.EnumerateArray(), r => r.GetProperty("id").GetString() == targets.GetProperty("adaptiveRunId").GetString() && r.GetProperty("samples").GetInt32() == 30);
        ModelManifest updated = ModelManifest.Load(Path.Combine(package, "model.json"));
        Assert.Equal(chosen, updated.DefaultThreshold);
        Assert.Equal(2, updated.DefaultMinLayers); // the floor the threshold was measured with
        Assert.Equal("onnxruntime", json.RootElement.GetProperty("settings").GetProperty("backend").GetString());
        using (JsonDocument manifestJson = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(package, "model.json"))))
        {
            Assert.Contains("--write-default", manifestJson.RootElement.GetProperty("defaultThresholdChosenBy").GetProperty("command").GetString(), StringComparison.Ordinal);
            Assert.Contains("≤ 1.05×", await File.ReadAllTextAsync(Path.Combine(package, "model.json")), StringComparison.Ordinal); // readable, not \u-escaped
        }
        using (TorchSharpBackend reloaded = TorchSharpBackend.Load(package, new TorchSharpBackendOptions { Threads = TorchThreads.Pinned }))
        {
            Assert.Equal(chosen, reloaded.Manifest.DefaultThreshold);
        }
        string markdown = await File.ReadAllTextAsync(Path.Combine(root, "results.md"));
        Assert.Contains("Sample size: 20", markdown, StringComparison.Ordinal);
        Assert.Contains("untrained", markdown, StringComparison.Ordinal);
        Assert.Contains("](results/pareto-zoom.png)", markdown, StringComparison.Ordinal);
        Assert.Contains("## Per-sample exits against a timestep schedule", markdown, StringComparison.Ordinal);
        Assert.Contains("| timestep schedule |", markdown, StringComparison.Ordinal);
        Assert.Contains("## Targets (DDIM-3, guidance 2.5, N = 30)", markdown, StringComparison.Ordinal); // the package's default scale
        foreach (string picture in new[] { "pareto.png", "pareto-zoom.png", "exit-heatmap.png", "samples-full.png", "samples-adaptive.png", "unconditional-full.png", "unconditional-adaptive.png" })
        {
            using SKBitmap? decoded = SKBitmap.Decode(Path.Combine(outDir, picture));
            Assert.True(decoded is { Width: > 50, Height: > 50 }, picture);
        }
        using (SKBitmap grid = SKBitmap.Decode(Path.Combine(outDir, "samples-full.png")))
        {
            Assert.Equal(2 + (10 * ((28 * 2) + 2)), grid.Height); // ten class rows of 2× images with 2-pixel gaps
        }

        // The markdown can be rewritten from results.json alone, identically.
        File.Delete(Path.Combine(root, "results.md"));
        Assert.Equal(0, await EvalCommand.RunAsync(["render", "--out", outDir], stdout, stderr, CancellationToken.None));
        Assert.Equal(markdown, await File.ReadAllTextAsync(Path.Combine(root, "results.md")));

        // Two evaluations of one backbone compare on one plot, against static truncation at equal depth.
        string compareDir = Path.Combine(root, "compare");
        Assert.Equal(0, await EvalCommand.RunAsync(["compare", "--runs", $"first={outDir},second={Path.Combine(outDir, "results.json")}", "--out", compareDir], stdout, stderr, CancellationToken.None));
        string comparison = await File.ReadAllTextAsync(Path.Combine(root, "compare.md"));
        Assert.Contains("## Against static truncation at equal mean depth", comparison, StringComparison.Ordinal);
        Assert.Equal(2 * 2, comparison.Split('\n').Count(l => l.StartsWith("| first |", StringComparison.Ordinal) || l.StartsWith("| second |", StringComparison.Ordinal)) - 2); // 2 sweep rows each, plus one summary row each
        Assert.Contains("# Exit decisions compared on one backbone", comparison, StringComparison.Ordinal);
        // The same sweep against itself: every point equals the first's curve at its depth (Δ column 8).
        foreach (string row in comparison.Split('\n').Where(l => l.StartsWith("| second |", StringComparison.Ordinal) && l.Split('|').Length == 13))
        {
            Assert.Equal("+0.000", row.Split('|')[8].Trim());
        }
        Assert.All(comparison.Split('\n').Where(l => l.StartsWith("| first |", StringComparison.Ordinal) && l.Split('|').Length == 13),
            row => Assert.Equal("—", row.Split('|')[8].Trim())); // not against itself
        using (SKBitmap compared = SKBitmap.Decode(Path.Combine(compareDir, "pareto-zoom.png")))
        {
            Assert.True(compared.Width > 50);
        }

        // Sweeps of other settings are not comparable: a clear error, nothing written.
        string other = Path.Combine(root, "other");
        Directory.CreateDirectory(other);
        var node = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "results.json")))!;
        node["settings"]!["samples"] = 99;
        await File.WriteAllTextAsync(Path.Combine(other, "results.json"), node.ToJsonString());
        var compareErr = new StringWriter();
        Assert.Equal(2, await EvalCommand.RunAsync(["compare", "--runs", $"first={outDir},other={other}", "--out", Path.Combine(root, "bad")], stdout, compareErr, CancellationToken.None));
        Assert.Contains("not comparable", compareErr.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(root, "bad")));
    }

    [Fact]
    public async Task RunAsync_BaselinePackage_IsSweptAtThresholdsFromItsOwnProbe()
    {
        string package = Path.Combine(root, "tiny-fmnist"), other = Path.Combine(root, "other-seed");
        WriteTinyPackage(package);
        WriteTinyPackage(other, seed: 5);
        string outDir = Path.Combine(root, "results");
        var stderr = new StringWriter();

        int rc = await EvalCommand.RunAsync(
            ["--model", package, "--baseline-model", other, "--baseline-label", "other seed", "--samples", "10", "--steps", "2",
             "--auto-targets", "0.3", "--probe-rows", "40", "--min-layers", "1", "--no-static", "--no-per-batch", "--no-steps",
             "--unconditional", "0", "--target-samples", "0", "--job-images", "10", "--threads", "1", "--out", outDir],
            new StringWriter(), stderr, CancellationToken.None);

        Assert.True(rc == 0, stderr.ToString());
        using JsonDocument json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "results.json")));
        JsonElement probe = json.RootElement.GetProperty("baselineProbe");
        float otherThreshold = probe.GetProperty("choices")[0].GetProperty("threshold").GetSingle();
        var baseline = json.RootElement.GetProperty("runs").EnumerateArray().Where(r => r.GetProperty("group").GetString() == "baseline").ToList();
        Assert.All(baseline, r => Assert.Equal("other seed", r.GetProperty("package").GetString()));
        Assert.Single(baseline, r => r.GetProperty("mode").GetString() == "FullDepth");
        var sweptAt = baseline.Where(r => r.GetProperty("mode").GetString() == "Adaptive").Select(r => r.GetProperty("threshold").GetSingle()).ToHashSet();
        Assert.Equal(new HashSet<float> { otherThreshold, 0.6f }, sweptAt); // its probe's choice for 30% saved, and its default
        string markdown = await File.ReadAllTextAsync(Path.Combine(root, "results.md"));
        Assert.Contains("## Baseline package: other seed", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("needs a separately trained package", markdown, StringComparison.Ordinal);

        // A baseline of another depth cannot be compared at equal depth: a clear error.
        string shallow = Path.Combine(root, "shallow");
        WriteTinyPackage(shallow, depth: 5);
        var err = new StringWriter();
        Assert.Equal(1, await EvalCommand.RunAsync(
            ["--model", package, "--baseline-model", shallow, "--samples", "10", "--steps", "2", "--thresholds", "0.5", "--no-static", "--no-per-batch",
             "--no-steps", "--unconditional", "0", "--target-samples", "0", "--threads", "1", "--min-layers", "1", "--out", Path.Combine(root, "shallow-out")],
            new StringWriter(), err, CancellationToken.None));
        Assert.Contains("depth 5 differs", err.ToString(), StringComparison.Ordinal);
    }

    /// <summary>An untrained 1×28×28, 10-class U-ViT (D = 32, 3 layers unless told), saved as a package.</summary>
    internal static void WriteTinyPackage(string dir, int seed = 4, int depth = 3)
    {
        ModelManifest manifest = UViTConfig.Create("tiny-fmnist", channels: 1, height: 28, width: 28, patchSize: 4, embedDim: 32, depth, numHeads: 2, mlpRatio: 2.0, numClasses: 10) with
        {
            Description = "UNTRAINED tiny test model",
            DefaultThreshold = 0.6f,
            DefaultGuidanceScale = 2.5f,
            Weights = new WeightsFile { File = ModelPackage.WeightsFileName },
        };
        manual_seed(seed);
        using var model = new UViT(manifest);
        UViTPackage.Save(dir, manifest, model);
    }
}
