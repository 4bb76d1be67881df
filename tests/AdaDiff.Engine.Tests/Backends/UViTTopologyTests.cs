using AdaDiff.Engine.Backends;

namespace AdaDiff.Engine.Tests.Backends;

public sealed class UViTTopologyTests
{
    private static ModelManifest Manifest(int depth, int classes) => ComputeLedgerTests.Manifest() with
    {
        Depth = depth,
        NumClasses = classes,
        Flops = new FlopCounts { Embed = 0, PerLayer = new double[depth], Uem = 0, Head = 0 },
    };

    [Fact]
    public void Of_ThirteenLayers_SixInBlocksMidSixOutBlocksPoppingInReverse()
    {
        var topology = UViTTopology.Of(Manifest(13, 10));

        Assert.Equal([UViTBlockKind.In, UViTBlockKind.In, UViTBlockKind.In, UViTBlockKind.In, UViTBlockKind.In, UViTBlockKind.In,
            UViTBlockKind.Mid, UViTBlockKind.Out, UViTBlockKind.Out, UViTBlockKind.Out, UViTBlockKind.Out, UViTBlockKind.Out, UViTBlockKind.Out],
            Enumerable.Range(0, 13).Select(topology.Kind));
        Assert.Equal(6, topology.InBlocks);
        Assert.Equal(6, topology.MidLayer);
        Assert.Equal([5, 4, 3, 2, 1, 0], Enumerable.Range(7, 6).Select(topology.SkipPoppedBy));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1, 0], Enumerable.Range(0, 14).Select(topology.SkipsAfter));
        Assert.Equal(["in_blocks.0", "in_blocks.5", "mid_block", "out_blocks.0", "out_blocks.5"], new[] { 0, 5, 6, 7, 12 }.Select(topology.BlockName));
    }

    [Fact]
    public void SkipsAfter_MatchesAStackPushedAndPoppedLayerByLayer()
    {
        var topology = UViTTopology.Of(Manifest(7, 3));
        var stack = new Stack<int>();
        for (int layer = 0; layer < topology.Depth; layer++)
        {
            if (topology.PopsSkip(layer))
            {
                Assert.Equal(topology.SkipPoppedBy(layer), stack.Pop());
            }
            if (topology.PushesSkip(layer))
            {
                stack.Push(layer);
            }
            Assert.Equal(stack.Count, topology.SkipsAfter(layer + 1));
        }
        Assert.Empty(stack);
    }

    [Theory]
    [InlineData(10, 1 + 1 + 16)] // time, label, 4×4 patches of 8×8 at p = 2
    [InlineData(0, 1 + 16)]      // unconditional: no label token
    public void Tokens_TimeConditionAndPatches(int classes, int tokens)
    {
        var topology = UViTTopology.Of(Manifest(5, classes));

        Assert.Equal(tokens, topology.Tokens);
        Assert.Equal(16, topology.PatchTokens);
        Assert.Equal(tokens - 16, topology.ExtraTokens);
        Assert.Equal(4, topology.PatchDim);
    }

    [Fact]
    public void SkipPoppedBy_NotAnOutBlock_ThrowsNamingTheOutBlocks()
    {
        var topology = UViTTopology.Of(Manifest(5, 3));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => topology.SkipPoppedBy(2));
        Assert.Contains("out-blocks are 3..4", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => topology.Kind(5));
    }
}
