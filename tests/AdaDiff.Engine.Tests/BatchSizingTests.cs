using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine.Scheduling;

namespace AdaDiff.Engine.Tests;

public sealed class BatchSizingTests
{
    /// <summary>A CPU's curve: per-call overhead dominates small passes, throughput levels off from 16 rows.</summary>
    private static readonly PassTiming[] Cpu =
    [
        new(1, 0.0024),   //  417 rows/s
        new(2, 0.0030),   //  667
        new(4, 0.0044),   //  909
        new(8, 0.0075),   // 1067
        new(16, 0.0130),  // 1231
        new(32, 0.0250),  // 1280
        new(64, 0.0490),  // 1306 (best)
    ];

    [Fact]
    public void Choose_ThroughputLevellingOff_SmallestBatchWithin90PercentOfTheBest()
    {
        BatchLimits limits = BatchSizing.Choose(Cpu, minRows: 1, maxRows: 1024);

        Assert.Equal(16, limits.KneeRows);          // 1231 ≥ 0.9 × 1306; 8 rows (1067) is not
        Assert.Equal(64, limits.BestRows);
        Assert.Equal(1306.1, limits.BestRowsPerSecond, 1);
        Assert.Equal(16, limits.MaxBatchRows);
        Assert.Equal(16, limits.MaxActiveJobs);     // admission is by rows; a job has at least one
        Assert.Equal(0.9, limits.KneeFraction);
    }

    [Fact]
    public void Choose_KneeBelowTheLargestRequest_RaisedSoThatItFitsOnePass()
    {
        BatchLimits limits = BatchSizing.Choose(Cpu, minRows: 32, maxRows: 1024);

        Assert.Equal(16, limits.KneeRows);
        Assert.Equal(32, limits.MaxBatchRows);
        Assert.Equal(32, limits.MaxActiveJobs);
    }

    [Fact]
    public void Choose_ThroughputStillRisingAtTheLargestBatch_TakesIt_WithinTheUpperBound()
    {
        // A GPU: a pass costs about the same whatever its rows, up to sizes far past the measurement.
        PassTiming[] gpu = [new(1, 0.004), new(2, 0.004), new(4, 0.0041), new(8, 0.0041), new(16, 0.0042), new(32, 0.0043), new(64, 0.0045), new(128, 0.005), new(256, 0.006)];

        Assert.Equal(256, BatchSizing.Choose(gpu, minRows: 32, maxRows: 1024).MaxBatchRows);
        BatchLimits capped = BatchSizing.Choose(gpu, minRows: 32, maxRows: 128);
        Assert.Equal(256, capped.KneeRows);
        Assert.Equal(128, capped.MaxBatchRows);
    }

    [Fact]
    public void Choose_MeasurementsInAnyOrder_SameChoice()
    {
        PassTiming[] shuffled = [Cpu[5], Cpu[0], Cpu[6], Cpu[3], Cpu[1], Cpu[4], Cpu[2]];

        Assert.Equal(BatchSizing.Choose(Cpu, 1, 1024), BatchSizing.Choose(shuffled, 1, 1024));
    }

    [Fact]
    public void Choose_DipAfterTheBest_KneeMeasuredAgainstTheBestNotTheLast()
    {
        // Past 32 rows the working set leaves the cache and throughput falls again.
        PassTiming[] dip = [new(1, 0.002), new(4, 0.005), new(8, 0.009), new(16, 0.016), new(32, 0.030), new(64, 0.080)];

        BatchLimits limits = BatchSizing.Choose(dip, 1, 1024);

        Assert.Equal(32, limits.BestRows);   // 1067 rows/s
        Assert.Equal(16, limits.KneeRows);   // 1000 ≥ 960; 8 rows (889) is not
    }

    [Fact]
    public void Choose_HigherKneeFraction_LargerBatch()
    {
        Assert.Equal(32, BatchSizing.Choose(Cpu, 1, 1024, kneeFraction: 0.95).KneeRows);  // 1280 ≥ 1241; 16 rows is not
        Assert.Equal(64, BatchSizing.Choose(Cpu, 1, 1024, kneeFraction: 1).KneeRows);
    }

    [Fact]
    public void Choose_OneMeasurement_ThatOne()
    {
        Assert.Equal(8, BatchSizing.Choose([new(8, 0.01)], 1, 64).MaxBatchRows);
    }

    [Fact]
    public void Choose_NoOrBrokenMeasurementsOrBounds_Throw()
    {
        Assert.Throws<ArgumentException>(() => BatchSizing.Choose([], 1, 64));
        Assert.Throws<ArgumentException>(() => BatchSizing.Choose([new(8, 0)], 1, 64));
        Assert.Throws<ArgumentException>(() => BatchSizing.Choose([new(8, double.NaN)], 1, 64));
        Assert.Throws<ArgumentException>(() => BatchSizing.Choose([new(0, 0.01)], 1, 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchSizing.Choose(Cpu, 65, 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchSizing.Choose(Cpu, 0, 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchSizing.Choose(Cpu, 1, 64, kneeFraction: 0));
    }

    [Fact]
    public void MeasuredEnough_WhileThroughputRises_No_AfterTwoSizesWithoutAFivePercentGain_Yes()
    {
        Assert.False(BatchSizing.MeasuredEnough([]));
        Assert.False(BatchSizing.MeasuredEnough(Cpu[..5]));       // 16 rows still gained 15 %
        Assert.False(BatchSizing.MeasuredEnough(Cpu[..6]));       // 32 rows gained 4 %: one size without gain
        Assert.True(BatchSizing.MeasuredEnough(Cpu));              // 64 rows gained 2 % over 32's: two in a row
        PassTiming[] gainAgain = [.. Cpu[..6], new(64, 0.040)];   // 1600 rows/s: levelled off only for a while
        Assert.False(BatchSizing.MeasuredEnough(gainAgain));
    }

    [Fact]
    public void MeasuredEnough_PassAsSlowAsTheBound_Yes()
    {
        Assert.True(BatchSizing.MeasuredEnough([new(1, 0.01), new(2, 0.011)], maxPassSeconds: 0.011));
        Assert.False(BatchSizing.MeasuredEnough([new(1, 0.01), new(2, 0.011)], maxPassSeconds: 0.2));
    }

    [Fact]
    public void Measure_RealBackend_DoublingSizesFromOne_WithinTheBound()
    {
        using TorchSharpBackend backend = TinyModel.Backend();

        IReadOnlyList<PassTiming> timings = BatchSizing.Measure(backend, maxRows: 16, repeats: 1);

        // The times themselves depend on the machine; the sizes and their order do not.
        Assert.InRange(timings.Count, 1, 5);
        for (int i = 0; i < timings.Count; i++)
        {
            Assert.Equal(1 << i, timings[i].Rows);
            Assert.True(timings[i].Seconds > 0);
        }
        Assert.True(timings.Count == 5 || BatchSizing.MeasuredEnough(timings), "stopped before 16 rows without a reason");
        BatchLimits limits = BatchSizing.Choose(timings, 2, 16);
        Assert.InRange(limits.MaxBatchRows, 2, 16);
        Assert.Contains("1 rows ", BatchSizing.Describe(timings), StringComparison.Ordinal);
    }
}
