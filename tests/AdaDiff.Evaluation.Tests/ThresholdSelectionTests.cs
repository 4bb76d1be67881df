using AdaDiff.Engine;
using AdaDiff.Evaluation.Internal;
using AdaDiff.Evaluation.Metrics;

namespace AdaDiff.Evaluation.Tests;

public class ThresholdSelectionTests
{
    private static RunRecord Run(string id, float? threshold, double layers, double fid, double accuracy) =>
        new(id, threshold is null ? "full" : "adaptive", "m", SamplerKind.Ddim, 50, 500,
            threshold is null ? ExitMode.FullDepth : ExitMode.Adaptive, threshold, null, false,
            layers, 1 - (layers / 13), layers / 13, fid, accuracy, null, 1, 1);

    private static readonly RunRecord Full = Run("full", null, 13, 10.0, 0.90);

    [Fact]
    public void Choose_TakesFewestLayersWithinTheBar()
    {
        RunRecord[] sweep =
        [
            Run("a", 0.9f, 11, 10.1, 0.90),
            Run("b", 0.7f, 7, 10.4, 0.895), // 1.04× and −0.5 points: within the bar and its margin, fewest layers of those
            Run("c", 0.5f, 5, 10.6, 0.90), // 1.06×: outside
            Run("d", 0.4f, 4, 10.2, 0.87), // −3 points: outside
        ];

        SelectionRecord chosen = ThresholdSelection.Choose(Full, sweep);

        Assert.Equal(0.7f, chosen.Threshold);
        Assert.Equal("b", chosen.RunId);
        Assert.True(chosen.MetQualityBar);
    }

    [Fact]
    public void Choose_AsksTheAccuracyForOneStandardErrorOfMargin()
    {
        // Full depth: 90% on 500 images, standard error √(0.9·0.1/500) = 1.34 points. The bar is 88%; with the margin
        // 89.34%. "b" is within the bar (−1.5 points) but not its margin, so the more conservative "a" is chosen.
        RunRecord[] sweep =
        [
            Run("a", 0.9f, 9, 10.1, 0.895),
            Run("b", 0.7f, 7, 10.2, 0.885),
        ];

        SelectionRecord chosen = ThresholdSelection.Choose(Full, sweep);

        Assert.Equal("a", chosen.RunId);
        Assert.Equal(Math.Sqrt(0.9 * 0.1 / 500), chosen.AccuracyMargin, 12);
        Assert.True(ThresholdSelection.MeetsBar(Full, sweep[1]));
        Assert.False(ThresholdSelection.MeetsBar(Full, sweep[1], chosen.AccuracyMargin));
    }

    [Fact]
    public void Choose_NonePasses_TakesTheMostConservativeAndSaysSo()
    {
        RunRecord[] sweep = [Run("a", 0.9f, 11, 12, 0.90), Run("b", 0.7f, 7, 20, 0.80)];

        SelectionRecord chosen = ThresholdSelection.Choose(Full, sweep);

        Assert.Equal(0.9f, chosen.Threshold);
        Assert.False(chosen.MetQualityBar);
    }

    [Fact]
    public void Judge_ReportsEachTarget()
    {
        RunRecord full = Full with { ClassAccuracy = 0.86, Fid = 6.0 };
        RunRecord adaptive = Run("t", 0.7f, 6.5, 6.2, 0.85);
        var atDepth = new EqualDepthRecord(0.7f, 6.5, 6.2, null, 9.0, null, 0.85, 0.7) { StaticDifference = new ConfidenceInterval(-2.8, -3.5, -2.1, 0.95, 500) };

        IReadOnlyList<TargetCheck> checks = TargetChecks.Judge(full, adaptive, floor: 2.5, atDepth, depth: 13);

        Assert.Equal([true, true, true, true, true, true], checks.Select(c => c.Met));
        IReadOnlyList<TargetCheck> worse = TargetChecks.Judge(full with { ClassAccuracy = 0.8 }, adaptive with { AccelerationRatio = 0.3, Fid = 7.0 }, floor: 1.0, atDepth with { FidStatic = 6.0, StaticDifference = new ConfidenceInterval(0.2, 0.1, 0.3, 0.95, 500) }, depth: 13);
        Assert.Equal([false, false, false, false, true, false], worse.Select(c => c.Met));

        // Per-sample below static on the point estimate but with an interval that holds 0: not a win; without an interval, neither.
        var tie = atDepth with { StaticDifference = new ConfidenceInterval(-0.03, -0.8, 0.7, 0.95, 500) };
        TargetCheck tied = TargetChecks.Judge(full, adaptive, floor: 2.5, tie, depth: 13)[^1];
        Assert.False(tied.Met);
        Assert.Contains("Δ -0.030 [-0.800, +0.700] (95% paired bootstrap)", tied.Measured, StringComparison.Ordinal);
        Assert.False(TargetChecks.Judge(full, adaptive, floor: 2.5, atDepth with { StaticDifference = null }, depth: 13)[^1].Met);
    }
}
