using AdaDiff.Evaluation.Internal.Steps;
using AdaDiff.Evaluation.Reporting.Sections;

namespace AdaDiff.Evaluation.Tests;

public class TimestepScheduleTests
{
    [Fact]
    public void ScheduleOf_RoundsEachStepsMeanExitLayerHalfUp_WithinTheDepth()
    {
        var heatmap = new HeatmapRecord("run", [999, 500, 250, 100, 1], [], [6.0, 6.5, 7.49, 12.7, 13.0]);

        Assert.Equal([6, 7, 7, 13, 13], TimestepScheduleStep.ScheduleOf(heatmap, 13));
        Assert.Equal([6, 6, 6, 6, 6], TimestepScheduleStep.ScheduleOf(heatmap, 6)); // never deeper than the network
    }

    [Fact]
    public void RunLengths_CountsConsecutiveSteps()
    {
        Assert.Equal("6 ×3, 7, 13 ×2", ScheduleSection.RunLengths([6, 6, 6, 7, 13, 13]));
        Assert.Equal("5", ScheduleSection.RunLengths([5]));
        Assert.Equal("6, 7, 6", ScheduleSection.RunLengths([6, 7, 6]));
    }
}
