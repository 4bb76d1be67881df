using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Captions;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Evaluation.Classifier;
using AdaDiff.Evaluation.Internal;
using AdaDiff.Evaluation.Metrics;
using AdaDiff.Packaging;

namespace AdaDiff.Evaluation.Text;

/// <summary>
/// <c>adadiff-tools eval text</c>: a text package at full depth and with per-sample exits at swept thresholds, on
/// captions drawn from the test split, scored for prompt agreement, attributes, FID-proxy and compute; the
/// threshold chosen by the class model's rule; a grid of hand-written prompts.
/// </summary>
public static class TextEvaluator
{
    /// <summary>Seed offset of the grid's images (the drawn prompts use seed + prompt index).</summary>
    private const ulong GridSeedOffset = 50_000_000UL;

    /// <summary>Runs the evaluation and writes <c>results.json</c>, the markdown and the pictures; progress goes to <paramref name="log"/>.</summary>
    public static async Task<TextEvalReport> RunAsync(TextEvalOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var clock = Stopwatch.StartNew();
        DateTimeOffset started = DateTimeOffset.UtcNow;

        // Every check of the inputs before the classifier, the data and the backend load.
        ModelManifest manifest = ModelManifest.Load(Path.Combine(options.Model, ModelPackage.ManifestFileName));
        TextPrompts prompts = TextPrompts.ForPackage(options.Model, manifest);
        if (manifest.Channels != 1 || manifest.Height != FashionClassifier.Side || manifest.Width != FashionClassifier.Side)
        {
            throw new InvalidDataException($"{options.Model}: the evaluation's classifier needs 1×28×28 images (Fashion-MNIST); the model makes {manifest.Channels}×{manifest.Height}×{manifest.Width}");
        }
        List<EvalPrompt> grid = [.. (options.GridPrompts ?? TextPrompts.DefaultGridPrompts).Select(prompts.HandWritten)];
        Directory.CreateDirectory(options.Out);

        var evalOptions = new EvalOptions { ClassifierPath = options.ClassifierPath, DataDirectory = options.DataDirectory, Backend = options.Backend, Threads = options.Threads };
        using ClassifierModel classifier = Evaluator.LoadOrTrainClassifier(evalOptions, log, cancellationToken);
        log.WriteLine("[eval text] embedding the test set, measuring its attributes, captioning it");
        FashionMnist test = FashionMnist.Load(options.DataDirectory, train: false);
        FashionMnist train = FashionMnist.Load(options.DataDirectory, train: true);
        FashionMnistImages testBytes = FashionMnistImages.Load(options.DataDirectory, train: false);
        ClassifierOutputs testOutputs = classifier.Analyze(test.Images, test.Count);
        FeatureStatistics testStats = FeatureStatistics.FromRows(testOutputs.Features, test.Count, FashionClassifier.FeatureDim);
        var buckets = new AttributeBuckets[testBytes.Count];
        var testMeasured = new MeasuredImage[testBytes.Count];
        for (int i = 0; i < testBytes.Count; i++)
        {
            buckets[i] = AttributeThresholds.FashionMnist.Classify(ImageAttributes.Measure(testBytes.Image(i), FashionMnistImages.Side, FashionMnistImages.Side));
            testMeasured[i] = new MeasuredImage(testOutputs.Predictions[i], buckets[i]);
        }
        double[][] testDistribution = PromptScoring.Distribution(testMeasured, FashionClassifier.Classes);
        List<EvalPrompt> drawn = prompts.Draw(options.Samples, options.Seed, testBytes.Labels, buckets);

        using IDenoiserBackend backend = Evaluator.OpenBackend(evalOptions, options.Model);
        log.WriteLine($"[eval text] {options.Model} on {backend.Name} ({backend.ExecutionProvider})");
        int minLayers = options.MinLayers ?? manifest.DefaultMinLayers;
        log.WriteLine($"[eval text] certainty probe on {options.ProbeRows} noised test images with their captions");
        CertaintyProbe probe = CertaintyProbe.Run(backend, test, options.ProbeRows, (int)(options.Seed % int.MaxValue),
            image => prompts.CaptionTokens(image, testBytes.Labels[image], buckets[image], options.Seed));
        ThresholdSweep sweep = ThresholdSweep.FromProbe(probe, manifest, options.Thresholds, options.AutoTargets, options.Threshold, minLayers);

        long work = (long)options.Steps * ((options.Samples * (1L + sweep.Thresholds.Length)) + (2L * grid.Count * options.GridSeeds));
        var progress = new Progress(log, work);
        var runner = new TextRunner(backend, options, classifier, testStats, testDistribution, progress);
        string tag = $"{options.Sampler.ToString().ToLowerInvariant()}{options.Steps}-n{options.Samples}";
        TextRun full = await runner.RunAsync($"{tag}-full", "full", drawn, 1, options.Seed, ExitPolicySettings.Full, null, cancellationToken);
        var adaptive = new List<TextRun>();
        foreach (float t in sweep.Thresholds)
        {
            adaptive.Add(await runner.RunAsync($"{tag}-t{t.ToString("0.####", CultureInfo.InvariantCulture)}", "adaptive", drawn, 1, options.Seed, TextRunner.Policy(t, minLayers), full, cancellationToken));
        }
        SelectionRecord selection = Select(full.Record, [.. adaptive.Select(r => r.Record)], options.Threshold) with { MinLayers = minLayers };
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[eval text] chosen threshold {selection.Threshold:0.####} (quality bar {(selection.MetQualityBar ? "met" : "not met")})"));

        ulong gridSeed = options.Seed + GridSeedOffset;
        TextRun gridFull = await runner.RunAsync("grid-full", "grid", grid, options.GridSeeds, gridSeed, ExitPolicySettings.Full, null, cancellationToken);
        TextRun gridAdaptive = await runner.RunAsync("grid-adaptive", "grid", grid, options.GridSeeds, gridSeed, TextRunner.Policy(selection.Threshold, minLayers), gridFull, cancellationToken);
        progress.Stage("writing the report");
        TextGridRecord gridRecord = TextPictures.WriteGrid(options.Out, grid, options.GridSeeds, gridFull, gridAdaptive, selection.Threshold, manifest);

        var scorer = new Scorer(classifier, testStats, train, (int)(options.Seed % int.MaxValue));
        var report = new TextEvalReport
        {
            Command = options.CommandLine,
            StartedUtc = started,
            Model = new ModelInfo(manifest.Name, options.Model, manifest.Description, manifest.Weights.Sha256, manifest.Depth, ModelDescription.TrainingSteps(manifest),
                options.WeightsNote ?? ModelDescription.WeightsNote(manifest)) { ClassNames = FashionClassifier.ClassNames },
            Classifier = new ClassifierInfo(Evaluator.ClassifierPathForReport(options.ClassifierPath), Evaluator.Accuracy(testOutputs.Predictions, test.Labels), classifier.Metadata),
            Settings = new TextEvalSettings(options.Samples, backend.Name, options.Sampler, options.Steps, sweep.Thresholds, selection.Threshold, minLayers,
                options.GuidanceFor(manifest), options.Seed, options.GridSeeds),
            Prompts = PromptSet(drawn, testBytes.Count),
            Floor = new FloorRecord(options.Samples, scorer.Floor(options.Samples)),
            Probe = sweep.Record,
            Runs = [full.Record, .. adaptive.Select(r => r.Record)],
            Selection = selection,
            Grid = gridRecord,
            Pictures = [gridRecord.FullPicture, gridRecord.AdaptivePicture],
        };
        report.WallSeconds = clock.Elapsed.TotalSeconds;
        await File.WriteAllTextAsync(Path.Combine(options.Out, Evaluator.ResultsFileName), JsonSerializer.Serialize(report, JsonOutput.Options) + "\n", cancellationToken);
        string markdownPath = options.ResolvedMarkdown;
        string markdownDir = Path.GetDirectoryName(Path.GetFullPath(markdownPath)) ?? ".";
        Directory.CreateDirectory(markdownDir);
        await File.WriteAllTextAsync(markdownPath, TextReportWriter.Markdown(report, Path.GetRelativePath(markdownDir, Path.GetFullPath(options.Out))), cancellationToken);
        if (options.WriteDefault)
        {
            ManifestUpdate.WriteDefaultThreshold(options.Model, selection, options.CommandLine, started);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[eval text] wrote defaultThreshold {selection.Threshold:0.####} into {Path.Combine(options.Model, ModelPackage.ManifestFileName)}"));
        }
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[eval text] done in {clock.Elapsed.TotalMinutes:F1} min: {markdownPath}, {Path.Combine(options.Out, Evaluator.ResultsFileName)}"));
        return report;
    }

    /// <summary>
    /// The class model's rule (<see cref="ThresholdSelection"/>) with prompt agreement in place of class accuracy: its
    /// N, for the standard-error margin, is the prompts that name a class.
    /// </summary>
    internal static SelectionRecord Select(TextRunRecord full, IReadOnlyList<TextRunRecord> adaptive, float? given)
    {
        static RunRecord AsClassRun(TextRunRecord r) => r.Run with { ClassAccuracy = r.Scores.Agreement, Samples = r.Scores.ClassNamed };
        if (given is float g)
        {
            return ThresholdSelection.Given(AsClassRun(full), AsClassRun(adaptive.First(r => r.Run.Threshold == g)));
        }
        return ThresholdSelection.Choose(AsClassRun(full), [.. adaptive.Select(AsClassRun)]) with
        {
            Rule = "fewest mean layers with FID-proxy ≤ 1.05× full depth's and prompt agreement ≥ full's − 2 points + one standard error of full's agreement (N = prompts naming a class); most layers when none qualifies — the class model's rule with prompt agreement as its class accuracy",
        };
    }

    private static PromptSetRecord PromptSet(List<EvalPrompt> prompts, int testImages)
    {
        var counts = new int[5];
        foreach (EvalPrompt p in prompts)
        {
            counts[p.Content.AttributeCount]++;
        }
        return new PromptSetRecord(prompts.Count, testImages, prompts.Count(p => p.Content.ClassIndex is not null), counts,
            [.. prompts.Take(8).Select(p => $"test image {p.TestImage}: \"{p.Text}\"")]);
    }
}
