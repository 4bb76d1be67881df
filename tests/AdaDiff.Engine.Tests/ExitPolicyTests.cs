using AdaDiff.Engine.Exits;

namespace AdaDiff.Engine.Tests;

public class ExitPolicyTests
{
    private const int Depth = 13;
    private const int Steps = 20;

    [Fact]
    public void Adaptive_FromMinLayersToTheLastLayer_WithCertainty_ExitsOnceTheThresholdIsReached()
    {
        IExitPolicy policy = ExitPolicy.Create(new ExitPolicySettings(ExitMode.Adaptive, 0.9f, 4, 0));

        Assert.Equal(new ExitBounds(4, Depth, NeedsCertainty: true), policy.BoundsAt(0, Depth));
        Assert.Equal(policy.BoundsAt(0, Depth), policy.BoundsAt(Steps - 1, Depth));
        var exits = new bool[4];
        policy.SelectExits(0, 4, [0.9f, 0.89f, float.NaN, 1f], exits);
        Assert.Equal([true, false, false, true], exits);
    }

    [Fact]
    public void FullDepth_OnlyTheLastLayer_NoCertainty()
    {
        IExitPolicy policy = ExitPolicy.Create(ExitPolicySettings.Full);

        Assert.Same(FullDepthExitPolicy.Instance, policy);
        Assert.Equal(ExitBounds.At(Depth), policy.BoundsAt(3, Depth));
        Assert.False(policy.BoundsAt(3, Depth).NeedsCertainty);
    }

    [Fact]
    public void FixedDepth_OnlyItsLayer_NoCertainty()
    {
        IExitPolicy policy = ExitPolicy.Create(new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, 7));

        Assert.Equal(new ExitBounds(7, 7, NeedsCertainty: false), policy.BoundsAt(0, Depth));
    }

    [Theory]
    [InlineData(ExitMode.Adaptive, 0f, 1, 0, "Threshold")]
    [InlineData(ExitMode.Adaptive, 1.5f, 1, 0, "Threshold")]
    [InlineData(ExitMode.Adaptive, float.NaN, 1, 0, "Threshold")]
    [InlineData(ExitMode.Adaptive, 0.5f, 0, 0, "MinLayers")]
    [InlineData(ExitMode.Adaptive, 0.5f, 14, 0, "MinLayers")]
    [InlineData(ExitMode.FixedDepth, 0.5f, 1, 0, "FixedDepth")]
    [InlineData(ExitMode.FixedDepth, 0.5f, 1, 14, "FixedDepth")]
    [InlineData((ExitMode)9, 0.5f, 1, 1, "Mode")]
    public void Check_BadField_NamesIt(ExitMode mode, float threshold, int minLayers, int fixedDepth, string field)
    {
        Assert.Equal(field, ExitPolicy.Check(new ExitPolicySettings(mode, threshold, minLayers, fixedDepth), Depth, Steps)?.Field);
    }

    [Fact]
    public void Check_ValidPolicies_Null()
    {
        Assert.Null(ExitPolicy.Check(new ExitPolicySettings(ExitMode.Adaptive, 1f, 13, 0), Depth, Steps));
        Assert.Null(ExitPolicy.Check(new ExitPolicySettings(ExitMode.FixedDepth, 0f, 0, 13), Depth, Steps));
        Assert.Null(ExitPolicy.Check(ExitPolicySettings.Full, Depth, Steps));
    }

    [Fact]
    public void Create_UnknownMode_Throws()
    {
        Assert.Throws<ArgumentException>(() => ExitPolicy.Create(new ExitPolicySettings((ExitMode)9, 0.5f, 1, 1)));
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(4, 3)]
    [InlineData(5, 14)]
    public void Check_PolicyWhoseBoundsLeaveTheNetworkAtSomeStep_NamesThatStep(int earliest, int latest)
    {
        var policy = new OddStep(new ExitBounds(earliest, latest, false), 11);

        (string Field, string Message)? violation = ExitPolicy.Check(policy, Depth, Steps);

        Assert.Equal("", violation?.Field);
        Assert.Contains($"step 11 exits in layers {earliest}..{latest}", violation?.Message, StringComparison.Ordinal);
        Assert.Null(ExitPolicy.Check(new OddStep(new ExitBounds(2, 3, true), 11), Depth, Steps));
    }

    /// <summary>Full depth, except at one step.</summary>
    private sealed class OddStep(ExitBounds odd, int oddStep) : IExitPolicy
    {
        public (string Field, string Message)? Check(int depth, int steps) => null;

        public ExitBounds BoundsAt(int step, int depth) => step == oddStep ? odd : ExitBounds.At(depth);

        public void SelectExits(int step, int layer, ReadOnlySpan<float> certainties, Span<bool> exits) => exits.Clear();
    }
}
