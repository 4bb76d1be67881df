using AdaDiff.ServingBenchmarks;

namespace AdaDiff.ServingBenchmarks.Tests;

public sealed class BenchPlanTests
{
    [Fact]
    public void Configs_Quick_OneRoundOneAndFourStreams_EveryServerConfigHasItsInProcessTwin()
    {
        BenchOptions quick = Synthetic.Options(quick: true);
        IReadOnlyList<BenchConfig> configs = BenchPlan.Configs(quick);

        Assert.Equal(1, quick.EffectiveRounds);
        Assert.Equal([1, 4], configs.Where(c => c.Path == BenchPath.Server).Select(c => c.Streams).Distinct());
        foreach (BenchConfig server in configs.Where(c => c.Path == BenchPath.Server && !c.Previews))
        {
            Assert.Contains(configs, c => c.Key == BenchConfig.KeyOf(BenchPath.InProcess, server.Backend, server.Mode, server.Streams));
        }
        BenchConfig preview = Assert.Single(configs, c => c.Previews);
        Assert.Equal("server/onnxruntime/adaptive/4/previews", preview.Key);
        Assert.Equal(4, configs.Count(c => c.Path == BenchPath.PyTorch));
        Assert.Equal(configs.Count, configs.Select(c => c.Key).Distinct().Count());
    }

    [Fact]
    public void Configs_Full_PreviewsAtSixteenStreams_AndPyTorchAtBatchOneAndSixteen()
    {
        IReadOnlyList<BenchConfig> configs = BenchPlan.Configs(Synthetic.Options());

        Assert.Equal([1, 4, 16, 64], configs.Where(c => c.Path == BenchPath.InProcess).Select(c => c.Streams).Distinct());
        Assert.Equal("server/onnxruntime/adaptive/16/previews", Assert.Single(configs, c => c.Previews).Key);
        Assert.Equal(["pytorch/full/1", "pytorch/adaptive/1", "pytorch/full/16", "pytorch/adaptive/16"],
            configs.Where(c => c.Path == BenchPath.PyTorch).Select(c => c.Key));
    }

    [Fact]
    public void Configs_PyTorchNone_HasNoPyTorch()
    {
        Assert.DoesNotContain(BenchPlan.Configs(new BenchOptions { PyTorch = PyTorchChoice.None }), c => c.Path == BenchPath.PyTorch);
    }

    [Fact]
    public void Order_OddRound_SwapsEachPair_AndRunsEveryConfigOnce()
    {
        IReadOnlyList<BenchConfig> configs = BenchPlan.Configs(Synthetic.Options());
        IReadOnlyList<BenchConfig> odd = BenchPlan.Order(configs, 1);

        Assert.Equal(configs.Select(c => c.Key).Order(StringComparer.Ordinal), odd.Select(c => c.Key).Order(StringComparer.Ordinal));
        Assert.Same(configs, BenchPlan.Order(configs, 2));
        int ServerFirst(IReadOnlyList<BenchConfig> order) => order.Select((c, i) => (c, i))
            .Count(x => x.c.Path == BenchPath.Server && !x.c.Previews && x.i + 1 < order.Count && order[x.i + 1].Key == BenchConfig.KeyOf(BenchPath.InProcess, x.c.Backend, x.c.Mode, x.c.Streams));
        int InProcessFirst(IReadOnlyList<BenchConfig> order) => order.Select((c, i) => (c, i))
            .Count(x => x.c.Path == BenchPath.InProcess && x.i + 1 < order.Count && order[x.i + 1].Key == BenchConfig.KeyOf(BenchPath.Server, x.c.Backend, x.c.Mode, x.c.Streams));
        Assert.Equal(16, ServerFirst(configs)); // 4 concurrencies × 2 backends × 2 modes, side by side
        Assert.Equal(0, InProcessFirst(configs));
        Assert.Equal(16, InProcessFirst(odd));
        Assert.Equal(0, ServerFirst(odd));
    }

    [Fact]
    public void EstimateSeconds_FullRun_FitsTwentyMinutes_QuickFitsFive()
    {
        BenchOptions full = Synthetic.Options(), quick = Synthetic.Options(quick: true);

        double fullSeconds = BenchPlan.EstimateSeconds(BenchPlan.Configs(full), full.EffectiveRounds, 20);
        double quickSeconds = BenchPlan.EstimateSeconds(BenchPlan.Configs(quick), quick.EffectiveRounds, 20);

        Assert.InRange(fullSeconds, 5 * 60, 20 * 60);
        Assert.InRange(quickSeconds, 60, 5 * 60);
    }

    [Theory]
    [InlineData("--AdaDiff:GrpcPort=1")]
    [InlineData("--AdaDiff:MaxActiveJobs=64")]
    [InlineData("--AdaDiff:Backend=torchsharp")]
    public void Problems_ServerArgThatTheBenchmarkSets_IsRefused(string arg)
    {
        Assert.Single(new BenchOptions { ServerArgs = [arg] }.Problems());
    }

    [Fact]
    public void Problems_Defaults_None_AndBadValuesNamed()
    {
        Assert.Empty(new BenchOptions().Problems());
        IReadOnlyList<string> problems = new BenchOptions { Rounds = 0, Concurrency = [0], Backends = ["tensorflow"] }.Problems();
        Assert.Contains(problems, p => p.StartsWith("--rounds", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--concurrency", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--backends", StringComparison.Ordinal));
    }
}
