using AdaDiff.ServingBenchmarks;

namespace AdaDiff.ServingBenchmarks.Tests;

/// <summary>Ratios are taken within each round, then summarised; failed rounds and missing sides leave figures out.</summary>
public sealed class AnalysisTests
{
    [Fact]
    public void Overhead_IsTakenPerRound_ThenMedianWithRange()
    {
        double[] server = [9.0, 9.8, 9.5];
        BenchResult result = Synthetic.Result(Synthetic.Options(rounds: 3), (c, r) =>
            c.Path == BenchPath.Server ? server[r] : c.Path == BenchPath.InProcess ? 10.0 : 5.0);

        Spread overhead = new Analysis(result).Overhead("onnxruntime", "full", 16);

        Assert.Equal(3, overhead.Count);
        Assert.Equal(0.05, overhead.Median, 9);
        Assert.Equal(0.02, overhead.Min, 9);
        Assert.Equal(0.10, overhead.Max, 9);
    }

    [Fact]
    public void Ratios_PairFiguresOfTheSameRound_NotMediansOfEachSide()
    {
        // server and in-process drift together: every round's overhead is exactly 20%, whatever the medians
        double[] drift = [10, 20, 40];
        BenchResult result = Synthetic.Result(Synthetic.Options(rounds: 3), (c, r) => drift[r] * (c.Path == BenchPath.Server ? 0.8 : 1.0));

        Spread overhead = new Analysis(result).Overhead("torchsharp", "adaptive", 4);

        Assert.Equal(0.2, overhead.Min, 9);
        Assert.Equal(0.2, overhead.Max, 9);
    }

    [Fact]
    public void FailedMeasurement_LeavesItsRoundOut()
    {
        string failed = BenchConfig.KeyOf(BenchPath.Server, "onnxruntime", "full", 1);
        BenchResult result = Synthetic.Result(Synthetic.Options(rounds: 3), Synthetic.Plausible, errors: (c, r) => c.Key == failed && r == 1 ? 2 : 0);
        var analysis = new Analysis(result);

        Assert.Equal(2, analysis.Overhead("onnxruntime", "full", 1).Count);
        Assert.Equal(2, analysis.Summary(failed)!.ImagesPerSecond.Count);
        Assert.Equal(2, analysis.Summary(failed)!.Errors);
        Assert.Equal(3, analysis.Overhead("onnxruntime", "adaptive", 1).Count);
    }

    [Fact]
    public void VsPyTorch_ScalingAndAdaptiveOverFull_FromTheirConfigurations()
    {
        var a = new Analysis(Synthetic.Result(Synthetic.Options(rounds: 1), Synthetic.Plausible));

        Assert.Equal(8.0 / 3 / 4, a.VsPyTorch("onnxruntime", "full", "full", 1).Median, 9);       // in-process 8/3 at 1 stream, PyTorch 4
        Assert.Equal(15.0 / 9, a.VsPyTorch("onnxruntime", "adaptive", "adaptive", 16).Median, 9);
        Assert.Equal(15.0 / 6, a.VsPyTorch("onnxruntime", "adaptive", "full", 16).Median, 9);   // against PyTorch at full depth
        Assert.Equal(3.0, a.Scaling(BenchPath.Server, "onnxruntime", "full", 1, 16).Median, 9);
        Assert.Equal(15.0 / 8, a.AdaptiveOverFull(BenchPath.Server, "onnxruntime", 64).Median, 9);
        Assert.Equal(1 - 0.8 / 0.97, a.PreviewCost("onnxruntime", 16).Median, 9);
        Assert.Equal(0.5, a.ShareOfPeak("onnxruntime").Median, 9);                                  // 240 of 480 GFLOP/s
    }

    [Fact]
    public void FirstStepInSteps_IsP99OverTheStepTime()
    {
        var a = new Analysis(Synthetic.Result(Synthetic.Options(rounds: 1), Synthetic.Plausible));

        // synthetic: TTFS p99 0.02 s × streams, step 0.01 s × min(streams, 8)
        Assert.Equal(0.32 / 0.08, a.FirstStepInSteps(BenchPath.Server, "torchsharp", "full", 16).Median, 9);
    }
}
