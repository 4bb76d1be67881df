using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AdaDiff.Evaluation.Classifier;
using AdaDiff.Evaluation.Internal;
using AdaDiff.Evaluation.Reporting;
using AdaDiff.Evaluation.Text;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Evaluation;

/// <summary>
/// <c>adadiff-tools eval</c>: measures FID-proxy, class accuracy, PSNR and compute of adaptive exits against
/// full depth, static truncation, the per-batch rule and fewer steps; <c>eval render</c> rewrites the report from
/// its results, <c>eval compare</c> puts several evaluations on one plot, <c>eval classifier</c> trains the
/// classifier those metrics use, and <c>eval text</c> evaluates a text-conditioned package.
/// </summary>
public static class EvalCommand
{
    /// <summary>
    /// Runs <c>eval</c> with <paramref name="args"/> (the words after <c>eval</c>). Results go to files; the summary to
    /// <paramref name="stdout"/>, progress with ETA to <paramref name="stderr"/>. Returns 0 on success, 2 for bad
    /// arguments, 1 on failure.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        string[] words = ["eval", .. args];
        var root = new RootCommand { Create(stdout, stderr, words) };
        ParseResult parsed = root.Parse(words, ToolsCommandLine.Parser);
        if (ToolsCommandLine.ReportErrors(parsed, stderr))
        {
            return ToolsCommandLine.BadArguments;
        }
        return await parsed.InvokeAsync(ToolsCommandLine.Invocation(stdout, stderr), cancellationToken);
    }

    /// <summary>The <c>eval</c> command and its subcommands, writing to the given streams.</summary>
    /// <param name="stdout">Where summaries go.</param>
    /// <param name="stderr">Where progress and errors go.</param>
    /// <param name="words">The command line as run after <c>adadiff-tools</c> (<c>eval …</c>), for the reports.</param>
    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(words);
        string commandText = EvalOptions.CommandLineOf([.. words.Skip(1)]);
        var set = new EvalOptionSet();
        var eval = new Command("eval", "Measure FID-proxy, class accuracy, PSNR and compute of per-sample exits against full depth, static truncation, the per-batch rule and fewer steps; write OUT/results.json, the markdown report and its pictures")
        {
            Render(stdout, stderr), Compare(stdout, stderr, words), TrainClassifier(stdout, stderr), TextEvalCommand.Create(stdout, stderr, words),
        };
        foreach (Option option in set.All)
        {
            eval.Options.Add(option);
        }
        eval.SetAction((parse, cancellationToken) => ToolsCommandLine.RunBound(parse, stderr, p => set.Bind(p, commandText), options => Guarded(stderr, async () =>
        {
            EvalReport report = await Evaluator.RunAsync(options, stderr, cancellationToken);
            await stdout.WriteLineAsync(ReportWriter.Summary(report));
            return 0;
        })));
        return eval;
    }

    private static Command Render(TextWriter stdout, TextWriter stderr)
    {
        var outDir = ToolsCommandLine.Text("--out", "Output folder of the evaluation, holding results.json", new EvalOptions().Out, "DIR");
        var markdown = ToolsCommandLine.Text("--markdown", "The markdown report (default OUT.md beside it)", helpName: "PATH");
        var command = new Command("render", "Rewrite the markdown and redraw the plots from OUT/results.json") { outDir, markdown };
        command.SetAction((parse, cancellationToken) => Guarded(stderr, async () =>
        {
            var options = new EvalOptions { Out = parse.GetValue(outDir)!, Markdown = parse.GetValue(markdown) };
            string written = await Evaluator.RenderAsync(options, cancellationToken);
            await stdout.WriteLineAsync($"wrote {written}");
            return 0;
        }));
        return command;
    }

    private static Command Compare(TextWriter stdout, TextWriter stderr, IReadOnlyList<string> words)
    {
        var runs = ToolsCommandLine.RequiredText("--runs", "Evaluations to compare, comma-separated LABEL=RESULTS (a results.json or its folder), at least two", "LABEL=RESULTS,...");
        var outDir = ToolsCommandLine.RequiredText("--out", "Folder of the plots (pareto.png, pareto-zoom.png) and comparison.json", "DIR");
        var markdown = ToolsCommandLine.Text("--markdown", "The markdown (default OUT.md beside it)", helpName: "PATH");
        var command = new Command("compare", "Put the per-sample sweeps of one backbone's evaluations on one plot, against the first one's static truncation at equal mean depth")
        {
            runs, outDir, markdown,
        };
        command.SetAction(async parse =>
        {
            string dir = parse.GetRequiredValue(outDir);
            string markdownPath = parse.GetValue(markdown) ?? Path.TrimEndingDirectorySeparator(dir) + ".md";
            List<ComparedReport> reports;
            try
            {
                reports = Comparison.Read(parse.GetRequiredValue(runs).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
            catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or JsonException)
            {
                await stderr.WriteLineAsync($"eval compare: {e.Message}");
                return ToolsCommandLine.BadArguments;
            }
            string written = Comparison.Write(reports, dir, markdownPath, CompareCommandLine(words));
            await stdout.WriteLineAsync($"wrote {written}");
            return 0;
        });
        return command;
    }

    private static Command TrainClassifier(TextWriter stdout, TextWriter stderr)
    {
        var defaults = new ClassifierTrainingOptions();
        var outPath = ToolsCommandLine.Text("--out", "Where the weights are saved (default: the shipped classifier's place)", ClassifierModel.DefaultPath, "PATH");
        var epochs = ToolsCommandLine.Int("--epochs", "Training epochs", defaults.Epochs, min: 1);
        var seed = ToolsCommandLine.Int("--seed", "Seed of the weights and the shuffle", defaults.Seed, min: 0);
        var batchSize = ToolsCommandLine.Int("--batch-size", "Images per step", defaults.BatchSize, min: 1);
        var lr = ToolsCommandLine.Number("--lr", "Learning rate", defaults.LearningRate);
        var data = ToolsCommandLine.Text("--data", "Fashion-MNIST IDX folder", defaults.DataDirectory, "DIR");
        var init = ToolsCommandLine.Text("--init", "Weights to start from", helpName: "WEIGHTS");
        var command = new Command("classifier", "Train the Fashion-MNIST classifier behind the FID-proxy and class accuracy") { outPath, epochs, seed, batchSize, lr, data, init };
        command.SetAction((parse, cancellationToken) => Guarded(stderr, () =>
        {
            var options = new ClassifierTrainingOptions
            {
                Epochs = parse.GetValue(epochs),
                Seed = parse.GetValue(seed),
                BatchSize = parse.GetValue(batchSize),
                LearningRate = parse.GetValue(lr),
                DataDirectory = parse.GetValue(data)!,
                InitialWeights = parse.GetValue(init),
            };
            string path = parse.GetValue(outPath)!;
            using ClassifierModel model = ClassifierTrainer.Train(options, stderr, cancellationToken);
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
            }
            model.Save(path);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"classifier: test accuracy {model.RecordedTestAccuracy:P2}, saved to {path}"));
            return Task.FromResult(0);
        }));
        return command;
    }

    /// <summary>Runs <paramref name="action"/>; a cancellation or an expected failure is a message and exit code 1.</summary>
    private static async Task<int> Guarded(TextWriter stderr, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("eval: cancelled");
            return 1;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            await stderr.WriteLineAsync($"eval: {e.Message}");
            return 1;
        }
    }

    /// <summary>The compare command as run, with its arguments quoted where a shell would need it.</summary>
    private static string CompareCommandLine(IReadOnlyList<string> words)
    {
        IEnumerable<string> args = words.SkipWhile(w => w != "compare").Skip(1);
        return "adadiff-tools eval compare " + string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) || a.Contains(',', StringComparison.Ordinal) ? $"\"{a}\"" : a));
    }
}
