using AdaDiff.Engine;
using AdaDiff.Engine.Scheduling;
using AdaDiff.Server.Internal;

namespace AdaDiff.Server.Tests;

/// <summary>Configured batch limits win; 0 derives them from measured pass times, never below the largest request.</summary>
public sealed class SchedulerLimitsTests
{
    private const string Model = "fashion-mnist-uvit";

    /// <summary>Levels off from 16 rows: the knee is 16 (1231 rows/s against the best 1306 at 64).</summary>
    private static readonly PassTiming[] Curve = [new(1, 0.0024), new(2, 0.0030), new(4, 0.0044), new(8, 0.0075), new(16, 0.013), new(32, 0.025), new(64, 0.049)];

    private static readonly ModelManifest Guided = TestPaths.Manifest(Model); // 10 classes and unconditional: 2 rows a guided image

    private static AdaDiffOptions Options(int maxBatchRows = 0, int maxActiveJobs = 0, int maxImages = 4) => new()
    {
        MaxBatchRows = maxBatchRows,
        MaxActiveJobs = maxActiveJobs,
        MaxImagesPerRequest = maxImages,
    };

    [Fact]
    public void Resolve_Unset_DerivedAtTheKnee_AsManyActiveAsRows()
    {
        int measuredUpTo = 0;

        SchedulerLimits limits = SchedulerLimits.Resolve(Options(), Guided, maxRows =>
        {
            measuredUpTo = maxRows;
            return Curve;
        });

        Assert.Equal(AdaDiffOptions.DerivedMaxBatchRowsLimit, measuredUpTo);
        Assert.Equal(16, limits.MaxBatchRows);
        Assert.Equal(16, limits.MaxActiveJobs);
        Assert.Equal(8, limits.MinRows); // 4 guided images
        Assert.Equal(16, limits.Derived!.KneeRows);
        Assert.Same(Curve, limits.Timings);
        Assert.False(limits.ActiveConfigured);
    }

    [Fact]
    public void Resolve_KneeBelowTheLargestGuidedRequest_RaisedToItsRows()
    {
        SchedulerLimits limits = SchedulerLimits.Resolve(Options(maxImages: 16), Guided, _ => Curve);

        Assert.Equal(32, limits.MaxBatchRows); // 16 images × 2 rows, though the knee is at 16
        Assert.Equal(16, limits.Derived!.KneeRows);
    }

    [Fact]
    public void Resolve_ModelWithoutGuidance_OneRowAnImage()
    {
        ModelManifest unconditional = Guided with { NumClasses = 0, ClassNames = [] };

        Assert.Equal(12, SchedulerLimits.Resolve(Options(maxImages: 12), unconditional, _ => Curve).MinRows);
    }

    [Fact]
    public void Resolve_RowsConfigured_NothingMeasured_ActiveFollowsRowsUnlessSet()
    {
        Func<int, IReadOnlyList<PassTiming>> mustNotRun = _ => throw new InvalidOperationException("measured although configured");

        SchedulerLimits rowsOnly = SchedulerLimits.Resolve(Options(maxBatchRows: 64), Guided, mustNotRun);
        SchedulerLimits both = SchedulerLimits.Resolve(Options(maxBatchRows: 64, maxActiveJobs: 8), Guided, mustNotRun);

        Assert.Equal((64, 64), (rowsOnly.MaxBatchRows, rowsOnly.MaxActiveJobs));
        Assert.Null(rowsOnly.Derived);
        Assert.Null(rowsOnly.Timings);
        Assert.Equal((64, 8), (both.MaxBatchRows, both.MaxActiveJobs));
        Assert.True(both.ActiveConfigured);
    }

    [Fact]
    public void Resolve_ActiveConfigured_RowsDerived()
    {
        SchedulerLimits limits = SchedulerLimits.Resolve(Options(maxActiveJobs: 3), Guided, _ => Curve);

        Assert.Equal((16, 3), (limits.MaxBatchRows, limits.MaxActiveJobs));
    }

    [Fact]
    public void ToSchedulerOptions_CarriesTheLimitsAndTheRest_LongShareAtMostAPass()
    {
        AdaDiffOptions options = Options();
        options.LongJobSteps = 50;
        options.LongJobRows = 100;
        options.MaxQueuedJobs = 7;
        SchedulerLimits limits = SchedulerLimits.Resolve(options, Guided, _ => Curve);

        SchedulerOptions scheduler = limits.ToSchedulerOptions(options);

        scheduler.Validate();
        Assert.Equal(16, scheduler.MaxBatchRows);
        Assert.Equal(16, scheduler.MaxActiveJobs);
        Assert.Equal(7, scheduler.MaxQueuedJobs);
        Assert.Equal(50, scheduler.LongJobSteps);
        Assert.Equal(16, scheduler.LongJobRows);
        Assert.Equal(8, limits.ToSchedulerOptions(Options()).EffectiveLongJobRows); // 0: half the pass
    }
}
