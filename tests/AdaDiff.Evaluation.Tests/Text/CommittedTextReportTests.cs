using System.Text.Json;
using AdaDiff.Evaluation.Internal;
using AdaDiff.Evaluation.Text;

namespace AdaDiff.Evaluation.Tests.Text;

/// <summary>
/// The committed text-model report is what its own results.json renders to with today's report writer, and that JSON
/// reads back unchanged: a change of the report's layout or of the results' records shows here, against the figures
/// the shipped weights were measured with, rather than the next time someone re-runs the evaluation.
/// </summary>
public sealed class CommittedTextReportTests
{
    private static readonly string Docs = Path.Combine(TestPaths.RepositoryRoot, "docs");

    [Fact]
    public void ResultsTextMarkdown_IsWhatItsResultsJsonRenders()
    {
        string json = File.ReadAllText(Path.Combine(Docs, "results-text", Evaluator.ResultsFileName));
        TextEvalReport report = JsonSerializer.Deserialize<TextEvalReport>(json, JsonOutput.Options)!;

        Assert.Equal(File.ReadAllText(Path.Combine(Docs, "results-text.md")), TextReportWriter.Markdown(report, "results-text"));
        Assert.Equal(json, JsonSerializer.Serialize(report, JsonOutput.Options) + "\n");
        foreach (string picture in report.Pictures)
        {
            Assert.True(File.Exists(Path.Combine(Docs, "results-text", picture)), $"docs/results-text/{picture} is missing");
        }
    }
}
