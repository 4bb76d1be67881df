using AdaDiff.Evaluation.Internal;

namespace AdaDiff.Evaluation.Tests;

public class CertaintyProbeTests
{
    // Row 0 passes 0.2 at layer 1, 0.6 at layer 2; row 1 is 0.5 everywhere. Layer 3 is the last: always exits.
    private static readonly CertaintyProbe Probe = new(new float[,] { { 0.2f, 0.6f, 0.9f }, { 0.5f, 0.5f, 0.5f } }, [10, 900]);

    [Theory]
    [InlineData(0.1f, 1, 1.0)]
    [InlineData(0.5f, 1, 1.5)]
    [InlineData(0.55f, 1, 2.5)]
    [InlineData(0.95f, 1, 3.0)]
    [InlineData(0.1f, 2, 2.0)]
    public void MeanExit_FollowsThePerSampleRule(float threshold, int minLayers, double expected)
    {
        Assert.Equal(expected, Probe.MeanExit(threshold, minLayers), 10);
    }

    [Fact]
    public void ThresholdFor_FindsAThresholdGivingTheNearestReachableDepth()
    {
        float t = Probe.ThresholdFor(2.4, minLayers: 1);

        Assert.InRange(t, 0.5f, 0.6f);
        Assert.Equal(2.5, Probe.MeanExit(t, 1), 10);
    }

    [Fact]
    public void MeanPerLayer_AveragesRows()
    {
        Assert.Equal([0.35, 0.55, 0.7], Probe.MeanPerLayer().Select(x => Math.Round(x, 6)));
    }
}
