using System.CommandLine;
using AdaDiff.Evaluation.Internal;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Evaluation.Text;

/// <summary>The options of <c>adadiff-tools eval text</c> on System.CommandLine, and their binding to <see cref="TextEvalOptions"/>.</summary>
internal sealed class TextEvalOptionSet
{
    private static readonly TextEvalOptions Defaults = new();

    private readonly SharedEvalOptionSet shared = new(Defaults);
    private readonly Option<string?> gridPrompts = ToolsCommandLine.Text("--grid-prompts", "Hand-written prompts of the grid, separated by ';' (words of the model's vocabulary only; default: ten prompts naming classes, attributes or both)", helpName: "P;P;...");
    private readonly Option<int> gridSeeds = ToolsCommandLine.Int("--grid-seeds", "Seeds (columns) per grid prompt", Defaults.GridSeeds, min: 1);

    /// <summary>Every option, to add to a command.</summary>
    public IEnumerable<Option> All =>
    [
        shared.Model, shared.Samples, shared.Backend, shared.Sampler, shared.Steps, shared.Thresholds, shared.AutoTargets, shared.ProbeRows, shared.Threshold,
        shared.WriteDefault, shared.MinLayers, shared.Guidance, shared.Seed, gridPrompts, gridSeeds, shared.Out, shared.Markdown, shared.Classifier, shared.Data,
        shared.MaxBatchRows, shared.Threads, shared.WeightsNote,
    ];

    /// <summary>The options of a parse without errors, checked (<see cref="ArgumentException"/> naming the option otherwise).</summary>
    public TextEvalOptions Bind(ParseResult parse, string commandLine)
    {
        string? grid = parse.GetValue(gridPrompts);
        TextEvalOptions options = shared.Bind(parse, new TextEvalOptions
        {
            GridPrompts = grid is null ? null : grid.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            GridSeeds = parse.GetValue(gridSeeds),
            CommandLine = commandLine,
        });
        Check(options);
        return options;
    }

    private static void Check(TextEvalOptions options)
    {
        if (options.GridPrompts is { Count: 0 })
        {
            throw new ArgumentException("--grid-prompts: no prompt given (separate prompts with ';')");
        }
        if (options.GridSeeds * 2 > options.MaxBatchRows)
        {
            throw new ArgumentException($"--grid-seeds {options.GridSeeds} needs {options.GridSeeds * 2} rows a guided prompt, more than --max-batch-rows {options.MaxBatchRows}");
        }
    }
}
