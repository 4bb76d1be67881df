using AdaDiff.ServingBenchmarks;

namespace AdaDiff.ServingBenchmarks.Tests;

/// <summary>The reports from a given result set: JSON that reads back, the markdown section among other text, PNGs.</summary>
public sealed class ReportWriterTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("adadiff-serving-bench-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Write_ResultSet_WritesJsonPlotsAndTheSection_KeepingTheRestOfTheMarkdown()
    {
        BenchResult result = Synthetic.Result(Synthetic.Options(rounds: 3), Synthetic.Plausible);
        string md = Path.Combine(dir, "benchmarks.md");
        File.WriteAllText(md, "# Benchmark: TorchSharp vs ONNX Runtime\n\nThe in-process table.\n");

        ReportWriter.Written written = ReportWriter.Write(result, Path.Combine(dir, "out", "serving"), md);

        string text = File.ReadAllText(md);
        Assert.StartsWith("# Benchmark: TorchSharp vs ONNX Runtime\n\nThe in-process table.\n\n" + MarkdownSection.Begin, text, StringComparison.Ordinal);
        Assert.EndsWith(MarkdownSection.End + "\n", text, StringComparison.Ordinal);
        Assert.Contains("| Serving overhead (1 − server / in-process images/s) | onnxruntime full, 16 streams | 3.0 % | ≤ 5.0 % | met |", text, StringComparison.Ordinal);
        Assert.Contains("| server | onnxruntime | adaptive + previews | 16 |", text, StringComparison.Ordinal);
        Assert.Contains("![serving-throughput](out/serving-throughput.png)", text, StringComparison.Ordinal);
        Assert.Contains("machine-readable: `out/serving.json`", text, StringComparison.Ordinal);
        Assert.Equal(3, written.Plots.Count);
        foreach (string png in written.Plots)
        {
            byte[] head = File.ReadAllBytes(png)[..8];
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, head);
        }

        // written again: the section is replaced, not added twice
        ReportWriter.Write(result, Path.Combine(dir, "out", "serving"), md);
        string again = File.ReadAllText(md);
        Assert.Equal(text, again);
    }

    [Fact]
    public void JsonText_ReadsBackToTheSameResultSet()
    {
        BenchResult result = Synthetic.Result(Synthetic.Options(quick: true), Synthetic.Plausible);
        var analysis = new Analysis(result);

        BenchResult back = ReportWriter.ReadResult(ReportWriter.JsonText(result, analysis, Targets.Evaluate(analysis)));

        Assert.Equal(result.Configs.Select(c => c.Key), back.Configs.Select(c => c.Key));
        Assert.Equal(result.Measurements.Select(m => (m.Config, m.Round, m.ImagesPerSecond)), back.Measurements.Select(m => (m.Config, m.Round, m.ImagesPerSecond)));
        Assert.True(double.IsNaN(back.Measurements.First(m => m.Config.StartsWith("pytorch", StringComparison.Ordinal)).LatencyP50));
        Assert.Equal(result.Probes[0].PassGflops["onnxruntime"], back.Probes[0].PassGflops["onnxruntime"]);
        Assert.Equal(result.Settings, back.Settings with { Concurrency = result.Settings.Concurrency });
        Assert.Equal(Targets.Evaluate(analysis).Select(t => t.StatusText), Targets.Evaluate(new Analysis(back)).Select(t => t.StatusText));
    }

    [Fact]
    public void Markdown_QuickRun_SaysSo_AndConsoleSummaryListsTheTargets()
    {
        BenchResult result = Synthetic.Result(Synthetic.Options(quick: true), Synthetic.Plausible);
        var analysis = new Analysis(result);

        string md = ReportWriter.Markdown(analysis, Targets.Evaluate(analysis), "serving.json", []);
        string console = ReportWriter.ConsoleSummary(result);

        Assert.Contains("**A `--quick` run**", md, StringComparison.Ordinal);
        Assert.DoesNotContain("### Plots", md, StringComparison.Ordinal);
        Assert.Contains("[not measured] Server: 16 streams against 1 (images/s): onnxruntime full", console, StringComparison.Ordinal);
        Assert.Contains("PyTorch: the fair configuration (test).", console, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_WithCpu_SaysWhereTheServingCpuGoes_AndJsonCarriesIt()
    {
        BenchResult result = Synthetic.Result(Synthetic.Options(rounds: 3), Synthetic.Plausible, cpu: true);
        var analysis = new Analysis(result);

        string md = ReportWriter.Markdown(analysis, Targets.Evaluate(analysis), "serving.json", []);
        string json = ReportWriter.JsonText(result, analysis, Targets.Evaluate(analysis));
        BenchResult back = ReportWriter.ReadResult(json);

        Assert.Contains("| backend | exits | streams | server CPU | client CPU | server + client | in-process CPU | (server + client) / in-process | busy cores: server / in-process |", md, StringComparison.Ordinal);
        Assert.Contains("| onnxruntime | adaptive | 16 | 80.0 | 20.0 | 100.0 | 90.0 | 1.11× | 2.00 / 2.00 |", md, StringComparison.Ordinal);
        Assert.Contains("| torchsharp | full | 1 | 80.0 | 20.0 | 100.0 | 90.0 | 1.11× | 2.00 / 2.00 |", md, StringComparison.Ordinal);
        Assert.Contains("\"clientCpuSecondsPerImage\": {", json, StringComparison.Ordinal);
        Measurement served = back.Measurements.First(m => m.Config == "server/onnxruntime/full/4");
        Assert.Equal((0.08 * served.Images, 0.02 * served.Images), (served.ServerCpuSeconds, served.ClientCpuSeconds));
        Assert.True(double.IsNaN(back.Measurements.First(m => m.Config == "inprocess/onnxruntime/full/4").ClientCpuSeconds));
    }

    [Fact]
    public void Markdown_RunWithoutCpu_LeavesTheCpuTableOut()
    {
        BenchResult result = Synthetic.Result(Synthetic.Options(rounds: 3), Synthetic.Plausible);
        var analysis = new Analysis(result);

        string md = ReportWriter.Markdown(analysis, Targets.Evaluate(analysis), "serving.json", []);

        Assert.Contains("### Serving overhead", md, StringComparison.Ordinal);
        Assert.DoesNotContain("server + client", md, StringComparison.Ordinal);
    }

    [Fact]
    public void MarkdownSection_Replace_KeepsWhatIsAroundIt_AndAppendsWhenMissing()
    {
        string first = MarkdownSection.Replace("# Title\n", "body one");
        Assert.Equal("# Title\n\n" + MarkdownSection.Begin + "\nbody one\n" + MarkdownSection.End + "\n", first);

        string withTail = first + "\n## Later\n";
        string replaced = MarkdownSection.Replace(withTail, "body two\n");
        Assert.Equal("# Title\n\n" + MarkdownSection.Begin + "\nbody two\n" + MarkdownSection.End + "\n\n## Later\n", replaced);
        Assert.Equal(MarkdownSection.Begin + "\nbody two\n" + MarkdownSection.End + "\n", MarkdownSection.Extract(replaced));
        Assert.Null(MarkdownSection.Extract("# nothing\n"));
        Assert.Equal(MarkdownSection.Begin + "\nx\n" + MarkdownSection.End + "\n", MarkdownSection.Replace(null, "x"));
    }
}
