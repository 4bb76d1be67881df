using AdaDiff.Captions;

namespace AdaDiff.Captions.Tests;

/// <summary>The Fashion-MNIST training split measured once per test run (about a second), for the tests that need it.</summary>
internal static class TrainingSet
{
    private static readonly Lazy<TrainingSetReport> Shared = new(() =>
        TrainingSetReport.Measure(FashionMnistImages.Load(), ClassNames, AttributeThresholds.FashionMnist));

    /// <summary>The class names of the shipped model's manifest.</summary>
    public static IReadOnlyList<string> ClassNames => TestPaths.Manifest("fashion-mnist-uvit").ClassNames;

    /// <summary>Every training image measured and bucketed with the frozen thresholds.</summary>
    public static TrainingSetReport Report => Shared.Value;
}
