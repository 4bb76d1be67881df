using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Evaluation.Classifier;
using AdaDiff.Evaluation.Internal.Policies;
using AdaDiff.Evaluation.Metrics;

namespace AdaDiff.Evaluation.Internal;

/// <summary>A generated set with its measurements and its images' classifier features (row-major [N, 128]), which bootstrap intervals resample.</summary>
internal sealed record MeasuredRun(GeneratedSet Set, RunRecord Record)
{
    public double[] Features { get; init; } = [];
}

/// <summary>Scores generated sets: FID-proxy against the test set, class accuracy, PSNR against a reference, compute.</summary>
internal sealed class Scorer(ClassifierModel classifier, FeatureStatistics test, FashionMnist train, int seed)
{
    private readonly List<FloorRecord> floors = [];

    /// <summary>Bootstrap resamples behind every interval of the evaluation (95%, over images).</summary>
    public const int IntervalResamples = 500;

    /// <summary>The test set's feature statistics, the fixed side of every FID-proxy.</summary>
    public FeatureStatistics Test => test;

    /// <summary>Real-vs-real floors computed so far, one per sample size.</summary>
    public IReadOnlyList<FloorRecord> Floors => floors.OrderBy(f => f.Samples).ToList();

    /// <summary>
    /// FID-proxy of <paramref name="samples"/> training images drawn without replacement (seeded) against the test
    /// set: what a perfect generator would score at that sample size (FID is biased upwards at small N).
    /// </summary>
    public double Floor(int samples)
    {
        foreach (FloorRecord f in floors)
        {
            if (f.Samples == samples)
            {
                return f.Fid;
            }
        }
        var random = new Random(seed + samples);
        int[] order = Enumerable.Range(0, train.Count).ToArray();
        random.Shuffle(order);
        int n = Math.Min(samples, train.Count);
        const int pixels = FashionClassifier.Side * FashionClassifier.Side;
        var images = new float[n * pixels];
        for (int i = 0; i < n; i++)
        {
            train.Images.AsSpan(order[i] * pixels, pixels).CopyTo(images.AsSpan(i * pixels));
        }
        ClassifierOutputs outputs = classifier.Analyze(images, n);
        double fid = FrechetDistance.Compute(FeatureStatistics.FromRows(outputs.Features, n, FashionClassifier.FeatureDim), test);
        floors.Add(new FloorRecord(samples, fid));
        return fid;
    }

    public MeasuredRun Measure(GeneratedSet set, MeasuredRun? reference)
    {
        GenerationSpec spec = set.Spec;
        int n = spec.Samples;
        ClassifierOutputs outputs = classifier.Analyze(set.Images, n);
        double? fid = n >= 2 ? FrechetDistance.Compute(FeatureStatistics.FromRows(outputs.Features, n, FashionClassifier.FeatureDim), test) : null;
        if (n >= 2)
        {
            Floor(n);
        }
        double? accuracy = null;
        ConfidenceInterval? accuracyInterval = null;
        if (spec.Conditional)
        {
            var correct = new double[n];
            for (int i = 0; i < n; i++)
            {
                correct[i] = outputs.Predictions[i] == set.Labels[i] ? 1 : 0;
            }
            accuracy = correct.Average();
            accuracyInterval = n >= 2 ? Bootstrap.Of(n, indices => Bootstrap.MeanAt(correct, indices), IntervalResamples, seed) : null;
        }
        double? psnr = reference is null ? null : Psnr.Mean(set.Images, reference.Set.Images, n);
        var c = set.Compute;
        var record = new RunRecord(
            spec.Id, spec.Group, spec.Package, spec.Sampler, spec.Steps, n, spec.Exit.Mode,
            spec.Exit.Mode == Engine.ExitMode.Adaptive ? spec.Exit.Threshold : null,
            spec.Exit.Mode == Engine.ExitMode.FixedDepth && spec.Comparison is null ? spec.Exit.FixedDepth : null,
            spec.Comparison is PerBatchExitPolicy,
            set.MeanLayers,
            c.AccelerationRatio,
            c.FlopsFull == 0 ? 0 : c.FlopsExecuted / c.FlopsFull,
            fid, accuracy, psnr, set.WallSeconds, n / Math.Max(set.WallSeconds, 1e-9))
        {
            DepthSchedule = (spec.Comparison as DepthScheduleExitPolicy)?.Depths,
        };
        if (n >= 2)
        {
            record = record with { FidInterval = FidBootstrap.Of(outputs.Features, FashionClassifier.FeatureDim, test, IntervalResamples, seed), AccuracyInterval = accuracyInterval };
        }
        return new MeasuredRun(set, record) { Features = outputs.Features };
    }
}
