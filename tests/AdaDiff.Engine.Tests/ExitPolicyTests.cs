using AdaDiff.Engine.Exits;

namespace AdaDiff.Engine.Tests;

public class ExitPolicyTests
{
    private const int Depth = 13;

    [Fact]
    public void Adaptive_ExitsAtFirstCertainLayerFromMinLayers()
    {
        var policy = new ExitPolicySettings(ExitMode.Adaptive, 0.9f, 4, 0);
        Assert.False(ExitPolicy.MayExitAt(policy, 3, Depth));
        Assert.True(ExitPolicy.MayExitAt(policy, 4, Depth));
        Assert.False(ExitPolicy.ShouldExit(policy, 3, Depth, 0.99f));
        Assert.True(ExitPolicy.ShouldExit(policy, 4, Depth, 0.9f));
        Assert.False(ExitPolicy.ShouldExit(policy, 4, Depth, 0.89f));
        Assert.False(ExitPolicy.ShouldExit(policy, 12, Depth, float.NaN));
        Assert.True(ExitPolicy.ShouldExit(policy, Depth, Depth, 0f));
    }

    [Fact]
    public void FullDepth_OnlyLastLayer()
    {
        for (int layer = 1; layer < Depth; layer++)
        {
            Assert.False(ExitPolicy.MayExitAt(ExitPolicySettings.Full, layer, Depth));
            Assert.False(ExitPolicy.ShouldExit(ExitPolicySettings.Full, layer, Depth, 1f));
        }
        Assert.True(ExitPolicy.MayExitAt(ExitPolicySettings.Full, Depth, Depth));
        Assert.True(ExitPolicy.ShouldExit(ExitPolicySettings.Full, Depth, Depth, 0f));
    }

    [Fact]
    public void FixedDepth_OnlyItsLayer()
    {
        var policy = new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, 7);
        for (int layer = 1; layer <= Depth; layer++)
        {
            bool expected = layer == 7 || layer == Depth;
            Assert.Equal(expected, ExitPolicy.MayExitAt(policy, layer, Depth));
            Assert.Equal(layer == 7, ExitPolicy.ShouldExit(policy, layer, Depth, 0f) && layer < Depth);
        }
    }

    [Theory]
    [InlineData(ExitMode.Adaptive, 0f, 1, 0, "Threshold")]
    [InlineData(ExitMode.Adaptive, 1.5f, 1, 0, "Threshold")]
    [InlineData(ExitMode.Adaptive, 0.5f, 0, 0, "MinLayers")]
    [InlineData(ExitMode.Adaptive, 0.5f, 14, 0, "MinLayers")]
    [InlineData(ExitMode.FixedDepth, 0.5f, 1, 0, "FixedDepth")]
    [InlineData(ExitMode.FixedDepth, 0.5f, 1, 14, "FixedDepth")]
    public void Check_BadField_NamesIt(ExitMode mode, float threshold, int minLayers, int fixedDepth, string field)
    {
        Assert.Equal(field, ExitPolicy.Check(new ExitPolicySettings(mode, threshold, minLayers, fixedDepth), Depth)?.Field);
    }

    [Fact]
    public void Check_DepthSchedule_NeedsFixedDepthAndDepthsInRange()
    {
        Assert.Null(ExitPolicy.Check(new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, 0, DepthSchedule: [6, 6, 13]), Depth));
        Assert.Equal("DepthSchedule", ExitPolicy.Check(new ExitPolicySettings(ExitMode.Adaptive, 0.5f, 1, 0, DepthSchedule: [6]), Depth)?.Field);
        Assert.Equal("DepthSchedule", ExitPolicy.Check(new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, 0, DepthSchedule: [6, 0]), Depth)?.Field);
        Assert.Equal("DepthSchedule", ExitPolicy.Check(new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, 0, DepthSchedule: [14]), Depth)?.Field);
        Assert.Equal("DepthSchedule", ExitPolicy.Check(new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, 0, DepthSchedule: []), Depth)?.Field);
    }

    [Fact]
    public void Check_ValidPolicies_Null()
    {
        Assert.Null(ExitPolicy.Check(new ExitPolicySettings(ExitMode.Adaptive, 1f, 13, 0), Depth));
        Assert.Null(ExitPolicy.Check(new ExitPolicySettings(ExitMode.FixedDepth, 0f, 0, 13), Depth));
        Assert.Null(ExitPolicy.Check(ExitPolicySettings.Full, Depth));
    }
}
