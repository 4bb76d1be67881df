using AdaDiff.Engine.Backends;

namespace AdaDiff.Engine.Tests.Backends;

/// <summary>
/// The bookkeeping of <see cref="LayerState{T}"/> on fake values that count their releases and disposals: pushes and
/// pops along the topology, the hidden state that is also the top skip released once, compaction keeping that
/// aliasing, and disposal letting go of each live value exactly once.
/// </summary>
public sealed class LayerStateTests
{
    private static UViTTopology Topology(int depth) => UViTTopology.Of(ComputeLedgerTests.Manifest() with
    {
        Depth = depth,
        Flops = new FlopCounts { Embed = 0, PerLayer = new double[depth], Uem = 0, Head = 0 },
    });

    [Fact]
    public void Advance_AlongSevenLayers_PushesInBlockOutputsAndPopsThemInReverse()
    {
        UViTTopology topology = Topology(7);
        var release = new CountingRelease();
        using var state = new LayerState<FakeValue>(topology, release);
        state.Start(new FakeValue("embed"));
        var outputs = new List<FakeValue>();

        for (int layer = 0; layer < topology.Depth; layer++)
        {
            FakeValue? popped = state.NextSkip;
            Assert.Equal(topology.PopsSkip(layer) ? outputs[topology.SkipPoppedBy(layer)] : null, popped);
            var next = new FakeValue($"layer {layer}");
            outputs.Add(next);

            state.Advance(next);

            Assert.Same(next, state.Hidden);
            Assert.Equal(layer + 1, state.LayersRun);
            Assert.Equal(topology.SkipsAfter(layer + 1), state.SkipCount);
            Assert.Equal(topology.PushesSkip(layer), state.HiddenIsTopSkip);
            for (int k = 0; k < state.SkipCount; k++)
            {
                Assert.Same(outputs[k], state.Skip(k));
            }
        }
        Assert.Null(state.NextSkip);
        Assert.Throws<InvalidOperationException>(() => state.Advance(new FakeValue("past the end")));
    }

    [Fact]
    public void Advance_InBlockOutputThatIsTheTopSkip_IsReleasedOnceWhenPopped()
    {
        UViTTopology topology = Topology(5); // in 0, 1; mid 2; out 3 pops skip 1, out 4 pops skip 0
        var release = new CountingRelease();
        using var state = new LayerState<FakeValue>(topology, release);
        var embed = new FakeValue("embed");
        state.Start(embed);
        FakeValue[] outputs = [.. Enumerable.Range(0, 5).Select(layer => new FakeValue($"layer {layer}"))];

        state.Advance(outputs[0]);
        Assert.Equal([embed], release.Released);
        state.Advance(outputs[1]);
        Assert.Equal([embed], release.Released); // layer 0's output is still skip 0
        state.Advance(outputs[2]);
        Assert.Equal([embed], release.Released); // layer 1's output is still skip 1
        state.Advance(outputs[3]);
        Assert.Equal([embed, outputs[1], outputs[2]], release.Released); // the popped skip, then the previous hidden state
        state.Advance(outputs[4]);
        Assert.Equal([embed, outputs[1], outputs[2], outputs[0], outputs[3]], release.Released);

        Assert.All(release.Released, value => Assert.Equal(1, value.Releases));
        Assert.Same(outputs[4], state.Hidden);
        Assert.Equal(0, state.SkipCount);
    }

    [Fact]
    public void Keep_HiddenIsTopSkip_SelectsEverySkipOnceAndKeepsTheAliasing()
    {
        UViTTopology topology = Topology(7);
        using var state = new LayerState<FakeValue>(topology, new CountingRelease());
        state.Start(new FakeValue("embed"));
        FakeValue[] before = [.. Enumerable.Range(0, 3).Select(layer => new FakeValue($"layer {layer}"))];
        foreach (FakeValue value in before)
        {
            state.Advance(value);
        }
        var selected = new List<FakeValue>();

        state.Keep(new FakeSelection(selected));

        Assert.Equal(3, selected.Count); // the skips only: the hidden state is skip 2
        Assert.True(state.HiddenIsTopSkip);
        Assert.Same(state.Skip(2), state.Hidden);
        Assert.Equal(selected, Enumerable.Range(0, 3).Select(state.Skip));
        Assert.Equal(["layer 0 rows", "layer 1 rows", "layer 2 rows"], selected.Select(value => value.Name));
        Assert.All(before, value => Assert.Equal(1, value.Disposals));
        Assert.All(before, value => Assert.Equal(0, value.Releases));
    }

    [Fact]
    public void Keep_HiddenIsNotASkip_SelectsTheSkipsThenTheHiddenState()
    {
        UViTTopology topology = Topology(7);
        using var state = new LayerState<FakeValue>(topology, new CountingRelease());
        state.Start(new FakeValue("embed"));
        for (int layer = 0; layer < 5; layer++)
        {
            state.Advance(new FakeValue($"layer {layer}"));
        }
        var selected = new List<FakeValue>();

        state.Keep(new FakeSelection(selected));

        Assert.Equal(["layer 0 rows", "layer 1 rows", "layer 4 rows"], selected.Select(value => value.Name));
        Assert.False(state.HiddenIsTopSkip);
        Assert.Same(selected[^1], state.Hidden);
    }

    [Fact]
    public void Dispose_HiddenIsTopSkip_ReleasesEachLiveValueOnce()
    {
        UViTTopology topology = Topology(7);
        var release = new CountingRelease();
        var state = new LayerState<FakeValue>(topology, release);
        state.Start(new FakeValue("embed"));
        FakeValue[] outputs = [.. Enumerable.Range(0, 3).Select(layer => new FakeValue($"layer {layer}"))];
        foreach (FakeValue value in outputs)
        {
            state.Advance(value);
        }
        int releasedBefore = release.Released.Count;

        state.Dispose();
        state.Dispose();

        Assert.Equal(outputs, release.Released.Skip(releasedBefore).OrderBy(value => value.Name));
        Assert.All(outputs, value => Assert.Equal(1, value.Releases));
        Assert.Equal(0, state.SkipCount);
        Assert.False(state.HasHidden);
    }

    [Fact]
    public void Dispose_WithDisposeOnRelease_DisposesHiddenAndSkipsOnce()
    {
        UViTTopology topology = Topology(7);
        var state = new LayerState<FakeValue>(topology, DisposeOnRelease.Instance);
        var embed = new FakeValue("embed");
        state.Start(embed);
        FakeValue[] outputs = [.. Enumerable.Range(0, 5).Select(layer => new FakeValue($"layer {layer}"))];
        foreach (FakeValue value in outputs)
        {
            state.Advance(value);
        }

        state.Dispose();

        Assert.All(outputs.Prepend(embed), value => Assert.Equal(1, value.Disposals));
    }

    [Theory]
    [InlineData(0, 4)] // the embedding and layers 0..3: no hidden state before, skips 0..2 given back
    [InlineData(2, 3)] // in-block 2 alone: its output is the hidden state and the top skip
    [InlineData(3, 5)] // from after in-block 2 (the hidden state is skip 2) over the mid-block and the pop of skip 2
    [InlineData(1, 7)] // pops skip 0, pushed before the range, and skips 1, 2 pushed inside it
    [InlineData(4, 7)] // from after the mid-block: pops skips 2, 1, 0
    public void Jump_MatchesTheSameLayersAdvancedOneByOne(int first, int end)
    {
        UViTTopology topology = Topology(7);
        var steppedRelease = new CountingRelease();
        using var stepped = new LayerState<FakeValue>(topology, steppedRelease);
        AdvanceTo(stepped, Outputs(topology), end);
        var jumpedRelease = new CountingRelease();
        using var jumped = new LayerState<FakeValue>(topology, jumpedRelease);
        FakeValue[] outputs = Outputs(topology); // [0]: the embedding, [i + 1]: layer i's output
        AdvanceTo(jumped, outputs, first);
        // As a fused stage names them: the skips it pops that were pushed before it, the skips it pushes that outlive it.
        int[] popped = [.. Enumerable.Range(first, end - first).Where(topology.PopsSkip).Select(topology.SkipPoppedBy).Where(k => k < first)];
        int[] pushed = [.. Enumerable.Range(first, end - first).Where(topology.PushesSkip).Where(k => topology.Depth - 1 - k >= end && k != end - 1)];

        jumped.Jump(end, outputs[end], popped, pushed, [.. pushed.Select(k => outputs[k + 1])]);

        Assert.Equal(stepped.LayersRun, jumped.LayersRun);
        Assert.Equal(stepped.SkipCount, jumped.SkipCount);
        Assert.Equal(stepped.HiddenIsTopSkip, jumped.HiddenIsTopSkip);
        Assert.Equal(stepped.Hidden.Name, jumped.Hidden.Name);
        Assert.Equal(
            Enumerable.Range(0, stepped.SkipCount).Select(k => stepped.Skip(k).Name),
            Enumerable.Range(0, jumped.SkipCount).Select(k => jumped.Skip(k).Name));
        // The same values released, less those the jump never had: the embedding if it embedded, layers first..end−2's outputs.
        bool NeverHad(string name) => name == "embed" ? first == 0 : Layer(name) >= first && Layer(name) < end - 1;
        Assert.Equal(
            steppedRelease.Released.Select(value => value.Name).Where(name => !NeverHad(name)).Order(),
            jumpedRelease.Released.Select(value => value.Name).Order());
        Assert.All(jumpedRelease.Released, value => Assert.Equal(1, value.Releases));
    }

    [Fact]
    public void Advance_BeforeStart_Throws()
    {
        using var state = new LayerState<FakeValue>(Topology(5), new CountingRelease());

        Assert.False(state.HasHidden);
        Assert.Throws<InvalidOperationException>(() => state.Advance(new FakeValue("layer 0")));
        Assert.Throws<InvalidOperationException>(() => state.Hidden);
    }

    [Fact]
    public void Skip_NotOnTheStack_Throws()
    {
        using var state = new LayerState<FakeValue>(Topology(5), new CountingRelease());
        state.Start(new FakeValue("embed"));
        state.Advance(new FakeValue("layer 0"));

        Assert.Equal("layer 0", state.Skip(0).Name);
        Assert.Throws<ArgumentOutOfRangeException>(() => state.Skip(1));
    }

    /// <summary>The values of a run: [0] the embedding, [i + 1] layer i's output.</summary>
    private static FakeValue[] Outputs(UViTTopology topology) =>
        [new FakeValue("embed"), .. Enumerable.Range(0, topology.Depth).Select(layer => new FakeValue($"layer {layer}"))];

    /// <summary>The embedding and layers 0..layers−1 on <paramref name="outputs"/>, one by one; nothing for 0 layers.</summary>
    private static void AdvanceTo(LayerState<FakeValue> state, FakeValue[] outputs, int layers)
    {
        if (layers == 0)
        {
            return;
        }
        state.Start(outputs[0]);
        for (int layer = 0; layer < layers; layer++)
        {
            state.Advance(outputs[layer + 1]);
        }
    }

    private static int Layer(string name) => int.Parse(name["layer ".Length..], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A stand-in for a backend's tensor: a name, and how often it was released and disposed.</summary>
    private sealed class FakeValue(string name) : IDisposable
    {
        public string Name { get; } = name;

        public int Releases { get; set; }

        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;

        public override string ToString() => Name;
    }

    /// <summary>Records every value released, in order.</summary>
    private sealed class CountingRelease : IValueRelease<FakeValue>
    {
        public List<FakeValue> Released { get; } = [];

        public void Release(FakeValue value)
        {
            value.Releases++;
            Released.Add(value);
        }
    }

    /// <summary>"Rows" of a value: a new value named after it, recorded in order.</summary>
    private readonly struct FakeSelection(List<FakeValue> selected) : IRowSelection<FakeValue>
    {
        public FakeValue Rows(FakeValue source)
        {
            var rows = new FakeValue($"{source.Name} rows");
            selected.Add(rows);
            return rows;
        }
    }
}
