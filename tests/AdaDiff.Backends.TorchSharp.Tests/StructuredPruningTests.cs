using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp.Pruning;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Tests;

/// <summary>
/// Structured pruning removes whole heads and MLP channels: the pruned network computes exactly what the unpruned one
/// computes with those heads' and channels' outputs zeroed, keeps the largest ones, and says its widths in its manifest.
/// </summary>
public sealed class StructuredPruningTests
{
    [Fact]
    public void PrunedNetwork_IsTheUnprunedOneWithTheRemovedOutputsZeroed()
    {
        using UViT model = RandomModel(seed: 5);
        StructuredPruning.Selection selection = StructuredPruning.Select(model, keepHeads: 1, keepMlp: 0.25);
        using UViT pruned = StructuredPruning.Apply(model, selection);
        ZeroRemoved(model, selection);

        using var scope = NewDisposeScope();
        using var generator = new Generator(9);
        Tensor x = randn([4, 1, 8, 8], generator: generator);                                 // [B, 1, 8, 8]
        Tensor t = tensor(new float[] { 0, 250, 600, 999 });                                   // [B]
        Tensor y = tensor(new long[] { 0, 1, 2, 3 });                                          // [B], 3 = null class
        using var noGrad = no_grad();
        (Tensor[] expected, Tensor[] expectedU) = model.ForwardExits(x, t, y);
        (Tensor[] actual, Tensor[] actualU) = pruned.ForwardExits(x, t, y);
        for (int layer = 0; layer < expected.Length; layer++)
        {
            Assert.True((expected[layer] - actual[layer]).abs().max().item<float>() < 1e-5f, $"layer {layer}: prediction differs");
            Assert.True((expectedU[layer] - actualU[layer]).abs().max().item<float>() < 1e-5f, $"layer {layer}: certainty differs");
        }
        // ... and the pruning removed something that mattered: the unpruned network before zeroing differs.
        using UViT original = RandomModel(seed: 5);
        Assert.True((original.ForwardExits(x, t, y).Predictions[^1] - actual[^1]).abs().max().item<float>() > 1e-3f);
    }

    [Fact]
    public void Select_KeepsTheHeadsAndChannelsOfLargestMagnitude_InTheirOrder()
    {
        using UViT model = RandomModel(seed: 6);
        UViTTopology topology = model.Topology;
        using (no_grad())
        {
            // Layer 2's second head and its MLP channels 5 and 17 made ten times larger than the rest.
            Dictionary<string, Tensor> state = model.state_dict();
            string block = topology.BlockName(2);
            int w = topology.HeadWidth;
            Tensor qkv = state[$"{block}.attn.qkv.weight"];
            for (int part = 0; part < 3; part++)
            {
                qkv.narrow(0, (part * topology.Heads(2) * w) + w, w).mul_(10);
            }
            foreach (int c in new[] { 17, 5 })
            {
                state[$"{block}.mlp.fc1.weight"].narrow(0, c, 1).mul_(10);
            }
        }
        StructuredPruning.Selection selection = StructuredPruning.Select(model, keepHeads: 1, keepMlp: 2.0 / topology.MlpHidden);
        Assert.Equal([1], selection.Heads[2]);
        Assert.Equal([5, 17], selection.Channels[2]);
        Assert.All(selection.Heads, h => Assert.Single(h));
        Assert.All(selection.Channels, c => Assert.Equal(2, c.Length));
    }

    [Fact]
    public void Apply_ManifestRecordsTheWidths_AndFewerFlopsPerLayer()
    {
        using UViT model = RandomModel(seed: 7);
        using UViT pruned = StructuredPruning.Apply(model, StructuredPruning.Select(model, keepHeads: 1, keepMlp: 0.5));
        ModelManifest m = pruned.Manifest;
        Assert.Equal(Enumerable.Repeat(1, m.Depth), m.Pruning!.Heads);
        Assert.Equal(Enumerable.Repeat(32, m.Depth), m.Pruning.MlpHidden); // half of 2 × 32
        Assert.False(m.SameArchitecture(model.Manifest));
        double[] before = FlopCounter.Count(model.Manifest).PerLayer, after = m.Flops.PerLayer;
        Assert.All(Enumerable.Range(0, m.Depth), i => Assert.True(after[i] < 0.7 * before[i], $"layer {i}: {after[i]} of {before[i]} FLOPs"));
        Assert.True(PackageWeightCount(pruned) < PackageWeightCount(model));
    }

    [Fact]
    public void BadArguments_AndBadManifests_AreRefusedNamingTheProblem()
    {
        using UViT model = RandomModel(seed: 8);
        Assert.Contains("1..2 heads", Assert.Throws<ArgumentOutOfRangeException>(() => StructuredPruning.Select(model, 0, 0.5)).Message, StringComparison.Ordinal);
        Assert.Contains("(0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => StructuredPruning.Select(model, 1, 0)).Message, StringComparison.Ordinal);
        ModelManifest tooMany = model.Manifest with { Pruning = new PrunedWidths { Heads = [1, 1, 3, 1, 1], MlpHidden = [8, 8, 8, 8, 8] } };
        Assert.Contains("pruning.heads[2] is 3", Assert.Throws<InvalidDataException>(() => tooMany.Validate("m")).Message, StringComparison.Ordinal);
        ModelManifest shortList = model.Manifest with { Pruning = new PrunedWidths { Heads = [1], MlpHidden = [8] } };
        Assert.Contains("depth (5) entries", Assert.Throws<InvalidDataException>(() => shortList.Validate("m")).Message, StringComparison.Ordinal);
        ModelManifest wide = model.Manifest with { Pruning = new PrunedWidths { Heads = [1, 1, 1, 1, 1], MlpHidden = [8, 8, 65, 8, 8] } };
        Assert.Contains("pruning.mlpHidden[2] is 65", Assert.Throws<InvalidDataException>(() => wide.Validate("m")).Message, StringComparison.Ordinal);
    }

    private static UViT RandomModel(int seed)
    {
        manual_seed(seed);
        var model = new UViT(UViTConfig.Tiny());
        TestModels.RandomizeBiases(model, seed);
        return model;
    }

    private static long PackageWeightCount(UViT model) => model.parameters().Sum(p => p.numel());

    /// <summary>Zeroes what each removed head and channel writes: its proj columns and its fc2 column.</summary>
    private static void ZeroRemoved(UViT model, StructuredPruning.Selection selection)
    {
        UViTTopology topology = model.Topology;
        Dictionary<string, Tensor> state = model.state_dict();
        using var noGrad = no_grad();
        for (int layer = 0; layer < topology.Depth; layer++)
        {
            string block = topology.BlockName(layer);
            foreach (int h in Enumerable.Range(0, topology.Heads(layer)).Except(selection.Heads[layer]))
            {
                state[$"{block}.attn.proj.weight"].narrow(1, h * topology.HeadWidth, topology.HeadWidth).zero_();
            }
            foreach (int c in Enumerable.Range(0, topology.MlpHiddenOf(layer)).Except(selection.Channels[layer]))
            {
                state[$"{block}.mlp.fc2.weight"].narrow(1, c, 1).zero_();
            }
        }
    }
}
