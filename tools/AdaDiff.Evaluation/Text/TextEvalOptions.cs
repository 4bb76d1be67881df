namespace AdaDiff.Evaluation.Text;

/// <summary>Settings of one <c>adadiff-tools eval text</c> run (<c>adadiff-tools eval text --help</c> lists the options).</summary>
public sealed record TextEvalOptions : SharedEvalOptions
{
    /// <summary>Text model package folder to evaluate (its manifest says <c>"conditioning": "text"</c>).</summary>
    public override string Model { get; init; } = "models/fashion-mnist-text-uvit";

    /// <summary>Prompts per configuration (one image each), captions of as many distinct test images, ≥ 10.</summary>
    public override int Samples { get; init; } = 1000;

    /// <summary>Fractions of layers saved that the automatic thresholds aim at (on the probe).</summary>
    public override IReadOnlyList<float> AutoTargets { get; init; } = [0.1f, 0.25f, 0.4f, 0.5f, 0.6f];

    /// <summary>Hand-written prompts of the grid; null takes <see cref="TextPrompts.DefaultGridPrompts"/>.</summary>
    public IReadOnlyList<string>? GridPrompts { get; init; }

    /// <summary>Seeds (columns) per grid prompt.</summary>
    public int GridSeeds { get; init; } = 6;

    /// <summary>Output folder of results.json and the pictures (its markdown by default: docs/results-text.md).</summary>
    public override string Out { get; init; } = "docs/results-text";

    /// <summary>The command line as given, for the report.</summary>
    public override string CommandLine { get; init; } = "adadiff-tools eval text";

    /// <summary>The markdown report's path after defaults.</summary>
    public string ResolvedMarkdown => Markdown ?? Path.TrimEndingDirectorySeparator(Path.GetFullPath(Out)) + ".md";
}
