using AdaDiff.Soak;

namespace AdaDiff.Soak.Tests;

/// <summary>The verdict on synthetic samples: what passes, what fails, and that warm-up and single spikes decide nothing.</summary>
public sealed class VerdictRuleTests
{
    private const long Mib = 1024 * 1024;

    [Fact]
    public void Flat_Passes()
    {
        Verdict v = VerdictRule.Evaluate(Run(20, _ => 1.0), errors: 0);

        Assert.True(v.Passed, string.Join("; ", v.Failures));
        Assert.Equal(4, v.WarmupSamples); // 20% of 20
        Assert.All(v.Resources, r => Assert.Equal(0, r.GrowthPercent, 6));
    }

    [Theory]
    [InlineData("rss")]
    [InlineData("heap")]
    [InlineData("threads")]
    [InlineData("fds")]
    public void SixPercentGrowth_OfAnyResource_Fails(string resource)
    {
        // the last third of the run 6% above the rest
        Verdict v = VerdictRule.Evaluate(Run(30, i => i >= 20 ? 1.06 : 1.0, resource), errors: 0);

        Assert.False(v.Passed);
        ResourceGrowth grown = Assert.Single(v.Resources, r => !r.Passed);
        Assert.Equal(resource, grown.Resource);
        Assert.Equal(6, grown.GrowthPercent, 1);
        Assert.Contains(v.Failures, f => f.StartsWith(resource + " grew 6.0%", StringComparison.Ordinal));
    }

    [Fact]
    public void SteadyGrowthOfTenPercentOverTheRun_Fails()
    {
        // a slow leak: 10% over the run is about 7% between the first and last steady samples
        Verdict v = VerdictRule.Evaluate(Run(30, i => 1.0 + (0.10 * i / 29)), errors: 0);

        Assert.False(v.Passed);
        Assert.All(v.Resources, r => Assert.False(r.Passed));
    }

    [Fact]
    public void FourPercentGrowth_Passes()
    {
        Verdict v = VerdictRule.Evaluate(Run(30, i => i >= 20 ? 1.04 : 1.0), errors: 0);

        Assert.True(v.Passed, string.Join("; ", v.Failures));
    }

    [Fact]
    public void SpikeDuringWarmup_Passes()
    {
        // the first 20% (6 of 30) climb to twice the steady value and come back; the steady state is flat
        Verdict v = VerdictRule.Evaluate(Run(30, i => i switch { 0 => 0.5, < 6 => 2.0, _ => 1.0 }), errors: 0);

        Assert.True(v.Passed, string.Join("; ", v.Failures));
        Assert.Equal(6, v.WarmupSamples);
    }

    [Fact]
    public void OneSpikeAtTheEnd_Passes_TheMedianIgnoresIt()
    {
        Verdict v = VerdictRule.Evaluate(Run(30, i => i == 29 ? 1.5 : 1.0), errors: 0);

        Assert.True(v.Passed, string.Join("; ", v.Failures));
    }

    [Fact]
    public void CallErrors_Fail()
    {
        Verdict v = VerdictRule.Evaluate(Run(20, _ => 1.0), errors: 1);

        Assert.False(v.Passed);
        Assert.Contains(v.Failures, f => f.Contains("UNKNOWN, INTERNAL", StringComparison.Ordinal));
    }

    [Fact]
    public void GaugesLeftAfterTheLoad_Fail()
    {
        List<Sample> samples = Run(20, _ => 1.0);
        samples[^1] = samples[^1] with { GenerationsActive = 1 };

        Verdict v = VerdictRule.Evaluate(samples, errors: 0);

        Assert.False(v.Passed);
        Assert.Equal(1, v.GenerationsActiveAfter);
    }

    [Fact]
    public void NoSampleAfterTheLoad_Fails()
    {
        Verdict v = VerdictRule.Evaluate(Run(20, _ => 1.0).Where(s => s.Phase == "load").ToList(), errors: 0);

        Assert.False(v.Passed);
    }

    [Fact]
    public void TooFewSamples_Fail()
    {
        Verdict v = VerdictRule.Evaluate(Run(3, _ => 1.0), errors: 0);

        Assert.False(v.Passed);
        Assert.Contains(v.Failures, f => f.Contains("warm-up", StringComparison.Ordinal));
    }

    [Fact]
    public void WarmupIsTwentyPercent_AtLeastTwo()
    {
        Assert.Equal(2, VerdictRule.WarmupCount(5));
        Assert.Equal(2, VerdictRule.WarmupCount(10));
        Assert.Equal(12, VerdictRule.WarmupCount(60));
    }

    [Fact]
    public void Options_RefuseAnyAddressButLoopback()
    {
        Assert.Empty(new SoakOptions().Problems());
        Assert.NotEmpty(new SoakOptions { Address = "0.0.0.0" }.Problems());
        Assert.NotEmpty(new SoakOptions { Address = "localhost" }.Problems());
        Assert.NotEmpty(new SoakOptions { ServerArgs = ["--AdaDiff:BindAddress=0.0.0.0"] }.Problems());
        Assert.NotEmpty(new SoakOptions { ServerArgs = ["--AdaDiff:GrpcPort=50051"] }.Problems());
    }

    /// <summary>
    /// <paramref name="count"/> load samples whose resources are a base value times <paramref name="factor"/>(i) (only
    /// <paramref name="only"/> when given), then one flat sample after the load with the gauges at 0.
    /// </summary>
    private static List<Sample> Run(int count, Func<int, double> factor, string? only = null)
    {
        double F(string resource, int i) => only is null || only == resource ? factor(i) : 1.0;
        var samples = Enumerable.Range(0, count).Select(i => new Sample
        {
            ElapsedSeconds = 10 * (i + 1),
            Phase = "load",
            CallsDone = 10 * i,
            Errors = 0,
            RssBytes = (long)(500 * Mib * F("rss", i)),
            HeapBytes = 40 * Mib * F("heap", i),
            Threads = (int)Math.Round(100 * F("threads", i)),
            Fds = (int)Math.Round(300 * F("fds", i)),
            WorkingSetBytes = 500 * Mib,
            ThreadPoolThreads = 8,
            RequestsByCode = new Dictionary<string, double> { ["OK"] = 10 * i },
            Images = 20 * i,
            GenerationsActive = 8,
            QueueDepth = 4,
        }).ToList();
        samples.Add(samples[^1] with { Phase = "after", ElapsedSeconds = samples[^1].ElapsedSeconds + 1, GenerationsActive = 0, QueueDepth = 0 });
        return samples;
    }
}
