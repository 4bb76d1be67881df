using System.Text.Json;
using AdaDiff.Engine;
using SkiaSharp;

namespace AdaDiff.Evaluation.Tests.Text;

public sealed class TextEndToEndTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("adadiff-eval-text-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task EvalText_TinyTextModel_WritesJsonMarkdownAndGrids()
    {
        string package = Path.Combine(root, "tiny-text");
        TextPackages.Write(package);
        string outDir = Path.Combine(root, "results-text");
        string data = SmallFashionMnist.Write(Path.Combine(root, "data"), count: 400);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int rc = await EvalCommand.RunAsync(
            ["text", "--model", package, "--samples", "20", "--steps", "3", "--probe-rows", "20", "--auto-targets", "0.3,0.6", "--grid-seeds", "2",
             "--grid-prompts", "a small dark ankle boot; something bright and wide; a textured shirt", "--threads", "1", "--data", data, "--write-default", "--min-layers", "2", "--out", outDir],
            stdout, stderr, CancellationToken.None);

        Assert.True(rc == 0, stderr.ToString());
        Assert.Contains("[eval]", stderr.ToString(), StringComparison.Ordinal); // progress with ETA
        using JsonDocument json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "results.json")));
        JsonElement report = json.RootElement;
        foreach (string section in new[] { "model", "classifier", "settings", "prompts", "floor", "probe", "runs", "selection", "grid", "pictures" })
        {
            Assert.True(report.TryGetProperty(section, out _), section);
        }

        // Full depth, then one run per swept threshold (two probe choices and the model's default 0.6, distinct).
        JsonElement[] runs = [.. report.GetProperty("runs").EnumerateArray()];
        float[] thresholds = [.. report.GetProperty("settings").GetProperty("thresholds").EnumerateArray().Select(t => t.GetSingle())];
        Assert.Contains(0.6f, thresholds);
        Assert.Equal(1 + thresholds.Length, runs.Length);
        JsonElement full = runs[0].GetProperty("run");
        Assert.Equal("FullDepth", full.GetProperty("mode").GetString());
        Assert.Equal(3, full.GetProperty("meanLayers").GetDouble(), 9);
        Assert.Equal(0, full.GetProperty("accelerationRatio").GetDouble(), 9);
        foreach (JsonElement r in runs)
        {
            JsonElement run = r.GetProperty("run");
            Assert.Equal(20, run.GetProperty("samples").GetInt32());
            Assert.InRange(run.GetProperty("meanLayers").GetDouble(), 1, 3);
            Assert.InRange(run.GetProperty("accelerationRatio").GetDouble(), 0, 2.0 / 3 + 1e-9);
            Assert.True(run.GetProperty("fid").GetDouble() > 0);
            JsonElement interval = run.GetProperty("fidInterval"); // 95% bootstrap over the run's images
            Assert.Equal(run.GetProperty("fid").GetDouble(), interval.GetProperty("estimate").GetDouble(), 9);
            Assert.True(interval.GetProperty("low").GetDouble() < interval.GetProperty("high").GetDouble());
            Assert.True(r.GetProperty("gflopsPerImage").GetDouble() > 0);
            JsonElement scores = r.GetProperty("scores");
            Assert.Equal(20, scores.GetProperty("images").GetInt32());
            Assert.InRange(scores.GetProperty("allMet").GetDouble(), 0, 1);
            JsonElement[] slots = [.. scores.GetProperty("slots").EnumerateArray()];
            Assert.Equal(["Class", "Brightness", "Size", "Aspect", "Texture"], slots.Select(s => s.GetProperty("slot").GetString()));
            foreach (JsonElement slot in slots)
            {
                int named = slot.GetProperty("named").GetInt32(), met = slot.GetProperty("met").GetInt32();
                Assert.InRange(met, 0, named);
                if (named > 0)
                {
                    Assert.Equal((double)met / named, slot.GetProperty("accuracy").GetDouble(), 12);
                    Assert.InRange(slot.GetProperty("chanceTestSet").GetDouble(), 0, 1);
                }
            }
            // The class slot's accuracy is the prompt agreement, recorded as the run's class accuracy.
            if (slots[0].GetProperty("named").GetInt32() > 0)
            {
                Assert.Equal(slots[0].GetProperty("accuracy").GetDouble(), run.GetProperty("classAccuracy").GetDouble(), 12);
            }
        }
        Assert.Equal(20, report.GetProperty("floor").GetProperty("samples").GetInt32());
        Assert.True(report.GetProperty("floor").GetProperty("fid").GetDouble() > 0);
        JsonElement prompts = report.GetProperty("prompts");
        Assert.Equal(20, prompts.GetProperty("count").GetInt32());
        Assert.Equal(20, prompts.GetProperty("attributeCounts").EnumerateArray().Sum(c => c.GetInt32()));

        // The threshold is one of those swept, and names its run.
        JsonElement selection = report.GetProperty("selection");
        Assert.Contains(selection.GetProperty("threshold").GetSingle(), thresholds);
        Assert.Contains(runs, r => r.GetProperty("run").GetProperty("id").GetString() == selection.GetProperty("runId").GetString());
        Assert.Contains("prompt agreement", selection.GetProperty("rule").GetString(), StringComparison.Ordinal);
        // --write-default stores it as the package's default, with the floor it was measured at, in a manifest that still loads.
        ModelManifest updated = ModelManifest.Load(Path.Combine(package, "model.json"));
        Assert.Equal(selection.GetProperty("threshold").GetSingle(), updated.DefaultThreshold);
        Assert.Equal(2, updated.DefaultMinLayers);
        Assert.Equal(ConditioningKind.Text, updated.Conditioning);

        // Three prompts by two seeds, with a mean exit depth per image at the chosen threshold.
        JsonElement[] rows = [.. report.GetProperty("grid").GetProperty("rows").EnumerateArray()];
        Assert.Equal(["a small dark ankle boot", "something bright and wide", "a textured shirt"], rows.Select(r => r.GetProperty("prompt").GetString()));
        Assert.All(rows, r => Assert.All(r.GetProperty("meanExitDepths").EnumerateArray(), d => Assert.InRange(d.GetDouble(), 1, 3)));
        Assert.All(rows, r => Assert.Equal(2, r.GetProperty("metAdaptive").GetArrayLength()));
        foreach (string picture in new[] { "grid-full.png", "grid-adaptive.png" })
        {
            using SKBitmap bitmap = SKBitmap.Decode(Path.Combine(outDir, picture));
            Assert.NotNull(bitmap);
            Assert.True(bitmap.Height >= 3 * 56, picture); // three rows of 56-pixel images
            Assert.True(bitmap.Width >= 2 * 56, picture);
        }

        string markdown = await File.ReadAllTextAsync(Path.Combine(root, "results-text.md"));
        foreach (string heading in new[] { "## Headline", "## What the prompts name", "## Threshold sweep", "## Hand-written prompts", "## The prompts", "## Method" })
        {
            Assert.Contains(heading, markdown, StringComparison.Ordinal);
        }
        Assert.Contains("(results-text/grid-adaptive.png)", markdown, StringComparison.Ordinal);
        Assert.Contains("chosen threshold", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvalText_UnknownWordInAGridPrompt_FailsBeforeGeneratingAndNamesIt()
    {
        string package = Path.Combine(root, "tiny-text");
        TextPackages.Write(package);
        var stderr = new StringWriter();

        int rc = await EvalCommand.RunAsync(["text", "--model", package, "--grid-prompts", "a striped shirt", "--out", Path.Combine(root, "out")], new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(2, rc);
        Assert.Contains("'striped'", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(root, "out")));
    }

    [Fact]
    public async Task EvalText_ClassModel_IsRefusedWithTheClassCommand()
    {
        string package = Path.Combine(root, "tiny-class");
        EndToEndTests.WriteTinyPackage(package);
        var stderr = new StringWriter();

        int rc = await EvalCommand.RunAsync(["text", "--model", package, "--out", Path.Combine(root, "out")], new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(1, rc);
        Assert.Contains("class-conditional", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("adadiff-tools eval --model", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_TextModel_IsRefusedWithTheTextCommand()
    {
        string package = Path.Combine(root, "tiny-text");
        TextPackages.Write(package);
        var stderr = new StringWriter();

        int rc = await EvalCommand.RunAsync(["--model", package, "--out", Path.Combine(root, "out")], new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(1, rc);
        Assert.Contains("text-conditioned", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("adadiff-tools eval text --model", stderr.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--grid-prompts", " ; ", "no prompt given")]
    [InlineData("--threshold", "1.5", "--threshold")]
    [InlineData("--grid-seeds", "100", "--max-batch-rows")]
    public async Task EvalText_BadOption_NamesIt(string option, string value, string expected)
    {
        var stderr = new StringWriter();

        int rc = await EvalCommand.RunAsync(["text", option, value], new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(2, rc);
        Assert.Contains(expected, stderr.ToString(), StringComparison.Ordinal);
    }
}
