using System.Globalization;
using System.Text.RegularExpressions;
using AdaDiff.Tests.Shared;

namespace AdaDiff.Benchmarks.Tests;

/// <summary>
/// The committed run (docs/benchmarks.json) and its report (docs/benchmarks.md, above the serving section) are what the
/// benchmark writes: its JSON reads back and writes the same bytes, and its markdown renders to the committed text
/// (whose notes also hold a paragraph written by hand).
/// </summary>
public sealed partial class BenchmarkReportTests
{
    private static readonly string Json = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "benchmarks.json"));

    private static readonly string Markdown = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "benchmarks.md"));

    [GeneratedRegex(@"min layers (\d+)$")]
    private static partial Regex MinLayersInSampler();

    [Fact]
    public void ToJson_CommittedRun_WritesTheSameBytes()
    {
        BenchmarkRun run = BenchmarkRun.FromJson(Json);

        Assert.Equal(Json, run.ToJson());
    }

    [Fact]
    public void FromJson_CommittedRun_ReadsEveryFigure()
    {
        BenchmarkRun run = BenchmarkRun.FromJson(Json);

        Assert.Equal(13, run.Model.Depth);
        Assert.Equal(8, run.Rounds);
        ThroughputRow first = run.Throughput[0];
        Assert.Equal(("torchsharp", 1, "full", 2.63), (first.Config, first.Batch, first.Mode, first.ImagesPerSecond));
        Assert.Equal(run.Rounds, first.Rounds.Length);
        Assert.All(run.PerStage, s => Assert.Equal(run.Model.Depth, s.LayerMs.Length));
    }

    [Fact]
    public void Markdown_CommittedRun_IsTheCommittedReportUpToItsNotes()
    {
        (string committed, string rendered) = CommittedAndRendered();
        int notes = committed.IndexOf("## Notes", StringComparison.Ordinal);
        Assert.True(notes > 0, "docs/benchmarks.md has no notes");

        Assert.Equal(committed[..notes], rendered[..Math.Min(notes, rendered.Length)]);
    }

    [Fact]
    public void Markdown_CommittedRun_WritesEachOfTheCommittedNotesLinesInOrder()
    {
        (string committed, string rendered) = CommittedAndRendered();
        string notes = rendered[rendered.IndexOf("## Notes", StringComparison.Ordinal)..];

        // The committed notes may hold a paragraph added by hand; every line the program writes is among them, in order.
        int at = committed.IndexOf("## Notes", StringComparison.Ordinal);
        foreach (string line in notes.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int found = committed.IndexOf(line + "\n", at, StringComparison.Ordinal);
            Assert.True(found >= at, $"the committed notes lack, after position {at}: {line}");
            at = found + line.Length;
        }
    }

    /// <summary>docs/benchmarks.md above its serving section, and the report the committed run renders to.</summary>
    private static (string Committed, string Rendered) CommittedAndRendered()
    {
        BenchmarkRun run = BenchmarkRun.FromJson(Json);
        string[] configs = [.. run.Throughput.Select(r => r.Config).Distinct()];
        int minLayers = int.Parse(MinLayersInSampler().Match(run.Sampler).Groups[1].Value, CultureInfo.InvariantCulture);
        int serving = Markdown.IndexOf("<!-- serving-benchmarks:begin", StringComparison.Ordinal);
        Assert.True(serving > 0, "docs/benchmarks.md has no serving section");
        return (Markdown[..serving], BenchmarkReport.Markdown(run, configs, minLayers));
    }

    [Fact]
    public void FromJson_NoRun_SaysSo()
    {
        Assert.Throws<InvalidDataException>(() => BenchmarkRun.FromJson("null"));
    }
}
