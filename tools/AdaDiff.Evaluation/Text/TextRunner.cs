using AdaDiff.Captions;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Evaluation.Classifier;
using AdaDiff.Evaluation.Internal;
using AdaDiff.Evaluation.Metrics;

namespace AdaDiff.Evaluation.Text;

/// <summary>A text configuration's images, what each measures, and its record.</summary>
/// <param name="Set">The images, exits and compute.</param>
/// <param name="Prompts">The prompt of each image, in the set's order.</param>
/// <param name="Measured">What each image measures (class, attribute buckets).</param>
/// <param name="Record">Its measurements.</param>
internal sealed record TextRun(GeneratedSet Set, IReadOnlyList<EvalPrompt> Prompts, MeasuredImage[] Measured, TextRunRecord Record);

/// <summary>Generates images for prompts on a text package and measures them (FID-proxy, prompt agreement, attributes, compute).</summary>
internal sealed class TextRunner(
    IDenoiserBackend backend, TextEvalOptions options, ClassifierModel classifier, FeatureStatistics test, double[][] testDistribution, Progress progress)
{
    private ModelManifest Manifest => backend.Manifest;

    /// <summary>The served policy at <paramref name="threshold"/>, or full depth for null.</summary>
    public static ExitPolicySettings Policy(float? threshold, int minLayers) =>
        threshold is float t ? new ExitPolicySettings(ExitMode.Adaptive, t, minLayers, 0) : ExitPolicySettings.Full;

    /// <summary>
    /// <paramref name="perPrompt"/> images of each of <paramref name="prompts"/> (one job a prompt; prompt p's job
    /// has seed <paramref name="seedBase"/> + p, so every configuration starts from the same noise), measured;
    /// <paramref name="reference"/> (full depth of the same prompts and seeds) gives the PSNR.
    /// </summary>
    public async Task<TextRun> RunAsync(
        string id, string group, IReadOnlyList<EvalPrompt> prompts, int perPrompt, ulong seedBase, ExitPolicySettings exit, TextRun? reference, CancellationToken cancellationToken)
    {
        progress.Stage(id);
        float guidance = options.GuidanceFor(Manifest);
        int samples = prompts.Count * perPrompt;
        var spec = new GenerationSpec(id, group, Manifest.Name, options.Sampler, options.Steps, samples, exit, Conditional: false, guidance);
        var requests = new List<(GenerationRequest Request, int Offset)>(prompts.Count);
        var imagePrompts = new List<EvalPrompt>(samples);
        for (int p = 0; p < prompts.Count; p++)
        {
            requests.Add((new GenerationRequest
            {
                NumImages = perPrompt,
                Seed = seedBase + (ulong)p,
                Sampler = options.Sampler,
                Steps = options.Steps,
                Prompt = prompts[p].Text,
                PromptTokens = prompts[p].Tokens,
                GuidanceScale = guidance,
                Exit = exit,
            }, p * perPrompt));
            imagePrompts.AddRange(Enumerable.Repeat(prompts[p], perPrompt));
        }
        GeneratedSet set = await GeneratedSet.RunAsync(backend, spec, requests, [.. Enumerable.Repeat(-1, samples)], options.MaxBatchRows, progress, cancellationToken);
        return Measure(set, imagePrompts, reference);
    }

    private TextRun Measure(GeneratedSet set, IReadOnlyList<EvalPrompt> prompts, TextRun? reference)
    {
        GenerationSpec spec = set.Spec;
        int n = spec.Samples;
        ClassifierOutputs outputs = classifier.Analyze(set.Images, n);
        var measured = new MeasuredImage[n];
        for (int i = 0; i < n; i++)
        {
            ImageAttributes attributes = ImageAttributes.MeasureModelOutput(set.Images.AsSpan(i * Manifest.ImageSize, Manifest.ImageSize), Manifest.Width, Manifest.Height);
            measured[i] = new MeasuredImage(outputs.Predictions[i], AttributeThresholds.FashionMnist.Classify(attributes));
        }
        PromptScores scores = PromptScoring.Score([.. prompts.Select(p => p.Content)], measured, testDistribution, FashionClassifier.Classes);
        double? fid = n >= 2 ? FrechetDistance.Compute(FeatureStatistics.FromRows(outputs.Features, n, FashionClassifier.FeatureDim), test) : null;
        double? psnr = reference is null ? null : Psnr.Mean(set.Images, reference.Set.Images, n);
        ComputeTotals c = set.Compute;
        var record = new RunRecord(
            spec.Id, spec.Group, spec.Package, spec.Sampler, spec.Steps, n, spec.Exit.Mode,
            spec.Exit.Mode == ExitMode.Adaptive ? spec.Exit.Threshold : null, null, false,
            set.MeanLayers, c.AccelerationRatio, c.FlopsFull == 0 ? 0 : c.FlopsExecuted / c.FlopsFull,
            fid, scores.Agreement, psnr, set.WallSeconds, n / Math.Max(set.WallSeconds, 1e-9))
        {
            FidInterval = n >= 2 ? FidBootstrap.Of(outputs.Features, FashionClassifier.FeatureDim, test, Scorer.IntervalResamples) : null,
        };
        return new TextRun(set, prompts, measured, new TextRunRecord(record, scores, c.FlopsExecuted / Math.Max(n, 1) / 1e9));
    }
}
