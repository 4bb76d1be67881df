using System.CommandLine;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Evaluation.Text;

/// <summary><c>adadiff-tools eval text</c>: the text model's evaluation (its options: <see cref="TextEvalOptionSet"/>).</summary>
internal static class TextEvalCommand
{
    /// <summary>The subcommand, writing its summary to <paramref name="stdout"/> and progress and errors to <paramref name="stderr"/>.</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyList<string> words)
    {
        var set = new TextEvalOptionSet();
        var command = new Command("text", "Evaluate a text-conditioned package at full depth and adaptive: prompt agreement, attribute accuracy against chance, FID-proxy, layers saved and FLOPs on captions of the test split; a grid of hand-written prompts; write OUT/results.json, the markdown and the pictures");
        foreach (Option option in set.All)
        {
            command.Options.Add(option);
        }
        string commandText = "adadiff-tools " + string.Join(' ', words.Select(w => w.Contains(' ', StringComparison.Ordinal) || w.Contains(';', StringComparison.Ordinal) ? $"\"{w}\"" : w));
        command.SetAction((parse, cancellationToken) => ToolsCommandLine.RunBound(parse, stderr, p => set.Bind(p, commandText), async options =>
        {
            try
            {
                TextEvalReport report = await TextEvaluator.RunAsync(options, stderr, cancellationToken);
                await stdout.WriteLineAsync(TextReportWriter.Summary(report));
                return 0;
            }
            catch (OperationCanceledException)
            {
                await stderr.WriteLineAsync("eval text: cancelled");
                return 1;
            }
            catch (ArgumentException e)
            {
                await stderr.WriteLineAsync($"adadiff-tools eval text: {e.Message}");
                return ToolsCommandLine.BadArguments;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or InvalidOperationException)
            {
                await stderr.WriteLineAsync($"eval text: {e.Message}");
                return 1;
            }
        }));
        return command;
    }
}
