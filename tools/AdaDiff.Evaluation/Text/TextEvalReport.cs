using AdaDiff.Engine;

namespace AdaDiff.Evaluation.Text;

/// <summary>Everything <c>adadiff-tools eval text</c> measured, as written to <c>results.json</c>.</summary>
public sealed record TextEvalReport : SharedEvalReport<TextEvalSettings>
{
    /// <summary>The drawn prompts: how many name a class and how many attributes.</summary>
    public required PromptSetRecord Prompts { get; init; }

    /// <summary>FID-proxy of as many training images as each run has, against the test set.</summary>
    public required FloorRecord Floor { get; init; }

    /// <summary>The certainty probe that chose the thresholds.</summary>
    public required ProbeRecord Probe { get; init; }

    /// <summary>Full depth first, then one run per threshold, ascending.</summary>
    public required IReadOnlyList<TextRunRecord> Runs { get; init; }

    /// <summary>The threshold chosen by the class model's rule, prompt agreement in place of class accuracy.</summary>
    public required SelectionRecord Selection { get; init; }

    /// <summary>The hand-written prompts' grid at full depth and at the chosen threshold.</summary>
    public required TextGridRecord Grid { get; init; }

    /// <summary>Pictures written, relative to the output folder.</summary>
    public required IReadOnlyList<string> Pictures { get; init; }
}

/// <summary>Settings of a text evaluation after defaults.</summary>
public sealed record TextEvalSettings(
    int Samples, string Backend, SamplerKind Sampler, int Steps, IReadOnlyList<float> Thresholds, float Threshold, int MinLayers, float Guidance, ulong Seed, int GridSeeds);

/// <summary>The drawn prompts.</summary>
/// <param name="Count">Prompts (one per distinct test image).</param>
/// <param name="TestImages">Images of the test split they were drawn from (and the test-set chance rates measured on).</param>
/// <param name="ClassNamed">Prompts that name a class.</param>
/// <param name="AttributeCounts">Prompts naming 0, 1, 2, 3 and 4 attributes.</param>
/// <param name="Examples">The first few, with what they name.</param>
public sealed record PromptSetRecord(int Count, int TestImages, int ClassNamed, int[] AttributeCounts, IReadOnlyList<string> Examples);

/// <summary>One configuration of the text model and how its images meet their prompts.</summary>
/// <param name="Run">What the class evaluation records of a run: depth, acceleration, FLOPs, FID-proxy, PSNR against full depth; its <c>classAccuracy</c> is the prompt agreement.</param>
/// <param name="Scores">Prompt agreement and attribute accuracies with their chance rates.</param>
/// <param name="GflopsPerImage">GFLOPs executed per image, all steps and guidance rows included.</param>
public sealed record TextRunRecord(RunRecord Run, PromptScores Scores, double GflopsPerImage);

/// <summary>The grid of hand-written prompts (rows) by seeds (columns).</summary>
/// <param name="Threshold">The adaptive picture's threshold (the chosen one).</param>
/// <param name="Rows">Per prompt: the mean exit depth of each seed's image at that threshold, and whether each met the prompt.</param>
/// <param name="FullPicture">The full-depth picture.</param>
/// <param name="AdaptivePicture">The adaptive picture, each image captioned with its mean exit depth.</param>
public sealed record TextGridRecord(float Threshold, IReadOnlyList<GridRowRecord> Rows, string FullPicture, string AdaptivePicture);

/// <summary>One grid prompt.</summary>
/// <param name="Prompt">The prompt.</param>
/// <param name="Names">What it names, in words.</param>
/// <param name="MeanExitDepths">Mean exit layer of each seed's image at the grid's threshold.</param>
/// <param name="MetFull">Whether each full-depth image meets everything the prompt names.</param>
/// <param name="MetAdaptive">Whether each adaptive image does.</param>
public sealed record GridRowRecord(string Prompt, string Names, double[] MeanExitDepths, bool[] MetFull, bool[] MetAdaptive);
