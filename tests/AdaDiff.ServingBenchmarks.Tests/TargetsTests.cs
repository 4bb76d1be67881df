using AdaDiff.ServingBenchmarks;

namespace AdaDiff.ServingBenchmarks.Tests;

public sealed class TargetsTests
{
    private static Target Find(IReadOnlyList<Target> targets, string group, string name) =>
        Assert.Single(targets, t => t.Group.StartsWith(group, StringComparison.Ordinal) && t.Name == name);

    [Fact]
    public void Evaluate_PlausibleRun_MetAndMissedAsTheFiguresSay()
    {
        IReadOnlyList<Target> targets = Targets.Evaluate(new Analysis(Synthetic.Result(Synthetic.Options(), Synthetic.Plausible)));

        Assert.Equal(TargetStatus.Met, Find(targets, "Serving overhead", "onnxruntime full, 16 streams").Status);   // 3%
        Assert.Equal(TargetStatus.Met, Find(targets, "Server: 16 streams", "onnxruntime adaptive").Status);       // 3×
        Assert.Equal(TargetStatus.Missed, Find(targets, "ONNX Runtime in-process", "full, batch 1 (1 stream)").Status); // 0.67×
        Assert.Equal(TargetStatus.Met, Find(targets, "ONNX Runtime in-process", "adaptive, batch 16 (16 streams)").Status); // 1.67×
        Assert.Equal(TargetStatus.Met, Find(targets, "Server: adaptive against full", "onnxruntime, 1 stream").Status);  // 1.875×
        Assert.Equal(TargetStatus.Missed, Find(targets, "Denoiser", "onnxruntime").Status);                       // 50% of peak
        Assert.Equal(TargetStatus.Missed, Find(targets, "Server: time to first step", "torchsharp adaptive").Status); // 4 steps
        Assert.DoesNotContain(targets, t => t.Status == TargetStatus.NotMeasured);
    }

    [Fact]
    public void Evaluate_QuickRun_SixteenStreamTargetsNotMeasured()
    {
        IReadOnlyList<Target> targets = Targets.Evaluate(new Analysis(Synthetic.Result(Synthetic.Options(quick: true), Synthetic.Plausible)));

        Assert.Equal(TargetStatus.NotMeasured, Find(targets, "Serving overhead", "torchsharp full, 16 streams").Status);
        Assert.Equal(TargetStatus.NotMeasured, Find(targets, "Server: 16 streams", "onnxruntime full").Status);
        Assert.Equal(TargetStatus.NotMeasured, Find(targets, "Server: time to first step", "onnxruntime full").Status);
        Assert.NotEqual(TargetStatus.NotMeasured, Find(targets, "Serving overhead", "torchsharp full, 1 stream").Status);
        Assert.Equal(["onnxruntime, 1 stream", "onnxruntime, 4 streams", "torchsharp, 1 stream", "torchsharp, 4 streams"],
            targets.Where(t => t.Group.StartsWith("Server: adaptive", StringComparison.Ordinal)).Select(t => t.Name));
    }

    [Theory]
    [InlineData(0.049, true, TargetStatus.Met)]
    [InlineData(0.05, true, TargetStatus.Met)]
    [InlineData(0.051, true, TargetStatus.Missed)]
    [InlineData(1.79, false, TargetStatus.Missed)]
    [InlineData(1.8, false, TargetStatus.Met)]
    public void Status_ComparesTheMedianWithTheLimit(double median, bool atMost, TargetStatus expected)
    {
        double limit = atMost ? 0.05 : 1.8;
        var target = new Target("g", "n", new Spread(median, median - 1, median + 1, 3), limit, atMost, FigureKind.Ratio);

        Assert.Equal(expected, target.Status);
    }

    [Fact]
    public void Texts_FormatShareRatioAndSteps()
    {
        Assert.Equal("4.2 % (1.0–9.0 %)", new Target("g", "n", new Spread(0.042, 0.01, 0.09, 3), 0.05, true, FigureKind.Share).FigureText);
        Assert.Equal("≤ 5.0 %", new Target("g", "n", new Spread(0.042, 0.01, 0.09, 3), 0.05, true, FigureKind.Share).LimitText);
        Assert.Equal("1.84×", new Target("g", "n", new Spread(1.84, 1.84, 1.84, 1), 1.8, false, FigureKind.Ratio).FigureText);
        Assert.Equal("2.5 steps", new Target("g", "n", new Spread(2.5, 2.5, 2.5, 1), 3, true, FigureKind.Steps).FigureText);
        Assert.Equal("—", new Target("g", "n", Spread.Of([]), 3, true, FigureKind.Steps).FigureText);
        Assert.Equal("not measured", new Target("g", "n", Spread.Of([]), 3, true, FigureKind.Steps).StatusText);
    }
}
