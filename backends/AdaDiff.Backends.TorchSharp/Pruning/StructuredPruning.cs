using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Pruning;

/// <summary>
/// Structured magnitude pruning of a U-ViT's denoiser layers: whole attention heads and whole MLP channels are
/// removed, so the pruned network is smaller and every backend runs it faster (narrower matrices, not sparse ones).
/// </summary>
/// <remarks>
/// A head's magnitude is the squared L2 norm of everything that reads or writes it: its rows of q, k and v in
/// <c>attn.qkv.weight</c> and its columns of <c>attn.proj.weight</c>. An MLP channel's is that of its row of
/// <c>mlp.fc1.weight</c> with its bias and its column of <c>mlp.fc2.weight</c>. Each layer keeps its largest, in their
/// original order. Removing a head or channel is exactly zeroing what it writes (its proj or fc2 columns):
/// <c>StructuredPruningTests</c> checks the pruned network against the unpruned one with those columns zeroed.
/// The embedding, the long-skip projections, the shared head, the UEMs and a text encoder are left whole.
/// </remarks>
public static class StructuredPruning
{
    /// <summary>What each layer keeps: the indices of its heads and of its MLP channels, ascending.</summary>
    /// <param name="Heads">Per layer, the kept heads' indices.</param>
    /// <param name="Channels">Per layer, the kept MLP channels' indices.</param>
    public sealed record Selection(int[][] Heads, int[][] Channels)
    {
        /// <summary>The manifest's record of the widths kept.</summary>
        public PrunedWidths Widths => new() { Heads = [.. Heads.Select(h => h.Length)], MlpHidden = [.. Channels.Select(c => c.Length)] };
    }

    /// <summary>
    /// The heads and channels of largest magnitude: <paramref name="keepHeads"/> heads and a share
    /// <paramref name="keepMlp"/> of the MLP channels (rounded, at least 1) in every layer.
    /// </summary>
    public static Selection Select(UViT model, int keepHeads, double keepMlp)
    {
        ArgumentNullException.ThrowIfNull(model);
        UViTTopology topology = model.Topology;
        if (keepHeads < 1 || keepHeads > model.Manifest.NumHeads)
        {
            throw new ArgumentOutOfRangeException(nameof(keepHeads), keepHeads, $"a layer keeps 1..{model.Manifest.NumHeads} heads");
        }
        if (!(keepMlp > 0 && keepMlp <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(keepMlp), keepMlp, "the share of MLP channels kept must be in (0, 1]");
        }
        Dictionary<string, Tensor> state = model.state_dict();
        var heads = new int[topology.Depth][];
        var channels = new int[topology.Depth][];
        using var noGrad = no_grad();
        for (int layer = 0; layer < topology.Depth; layer++)
        {
            using var scope = NewDisposeScope();
            string block = topology.BlockName(layer);
            heads[layer] = Largest(HeadMagnitudes(state, block, topology.Heads(layer), topology.HeadWidth), Math.Min(keepHeads, topology.Heads(layer)));
            int mlp = topology.MlpHiddenOf(layer);
            channels[layer] = Largest(ChannelMagnitudes(state, block), Math.Clamp((int)Math.Round(keepMlp * mlp), 1, mlp));
        }
        return new Selection(heads, channels);
    }

    /// <summary>
    /// A new network of <paramref name="model"/>'s architecture with <paramref name="selection"/>'s widths, holding
    /// the kept slices of its weights (the rest copied whole). Its manifest carries the pruned widths and their FLOPs.
    /// </summary>
    public static UViT Apply(UViT model, Selection selection)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(selection);
        UViTTopology topology = model.Topology;
        ModelManifest pruned = model.Manifest with { Pruning = selection.Widths };
        pruned = pruned with { Flops = FlopCounter.Count(pruned) };
        pruned.Validate("pruned model");
        UViT? result = new UViT(pruned, model.QkvBias);
        try
        {
            Dictionary<string, Tensor> source = model.state_dict();
            using var noGrad = no_grad();
            foreach ((string name, Tensor target) in result.state_dict())
            {
                using var scope = NewDisposeScope();
                target.copy_(Slice(name, source[name], topology, selection));
            }
            UViT done = result;
            result = null;
            return done;
        }
        finally
        {
            result?.Dispose();
        }
    }

    /// <summary>The source tensor, narrowed to the kept rows or columns when it is a pruned layer's attention or MLP weight.</summary>
    private static Tensor Slice(string name, Tensor value, UViTTopology topology, Selection selection)
    {
        for (int layer = 0; layer < topology.Depth; layer++)
        {
            string block = topology.BlockName(layer) + ".";
            if (!name.StartsWith(block, StringComparison.Ordinal))
            {
                continue;
            }
            string rest = name[block.Length..];
            Tensor heads = HeadRows(selection.Heads[layer], topology.Heads(layer), topology.HeadWidth); // [3·A'] rows of qkv
            Tensor units = HeadUnits(selection.Heads[layer], topology.HeadWidth);                        // [A'] columns of proj
            Tensor channels = tensor(selection.Channels[layer].Select(c => (long)c).ToArray());           // [H']
            return rest switch
            {
                "attn.qkv.weight" or "attn.qkv.bias" => value.index_select(0, heads),   // [3A, D] → [3A', D]
                "attn.proj.weight" => value.index_select(1, units),                     // [D, A] → [D, A']
                "mlp.fc1.weight" or "mlp.fc1.bias" => value.index_select(0, channels),  // [H, D] → [H', D]
                "mlp.fc2.weight" => value.index_select(1, channels),                    // [D, H] → [D, H']
                _ => value,
            };
        }
        return value;
    }

    /// <summary>Squared magnitude of each head of a block: its q, k, v rows and its proj columns, [heads].</summary>
    private static float[] HeadMagnitudes(Dictionary<string, Tensor> state, string block, int heads, int headWidth)
    {
        Tensor qkv = state[$"{block}.attn.qkv.weight"];                                     // [3A, D]
        Tensor proj = state[$"{block}.attn.proj.weight"];                                   // [D, A]
        long d = qkv.shape[1];
        Tensor rows = qkv.reshape(3, heads, headWidth, d).square().sum([0, 2, 3]);           // [heads]
        Tensor columns = proj.reshape(proj.shape[0], heads, headWidth).square().sum([0, 2]); // [heads]
        return (rows + columns).data<float>().ToArray();
    }

    /// <summary>Squared magnitude of each MLP channel: its fc1 row and bias, its fc2 column, [H].</summary>
    private static float[] ChannelMagnitudes(Dictionary<string, Tensor> state, string block)
    {
        Tensor fc1 = state[$"{block}.mlp.fc1.weight"];          // [H, D]
        Tensor bias = state[$"{block}.mlp.fc1.bias"];           // [H]
        Tensor fc2 = state[$"{block}.mlp.fc2.weight"];          // [D, H]
        Tensor magnitude = fc1.square().sum(1) + bias.square() + fc2.square().sum(0); // [H]
        return magnitude.data<float>().ToArray();
    }

    /// <summary>Indices of the <paramref name="keep"/> largest values, ascending (ties to the lower index).</summary>
    private static int[] Largest(float[] magnitudes, int keep) =>
        [.. Enumerable.Range(0, magnitudes.Length).OrderByDescending(i => magnitudes[i]).ThenBy(i => i).Take(keep).Order()];

    /// <summary>The qkv rows of the kept heads: for each of q, k, v, each kept head's headWidth rows.</summary>
    private static Tensor HeadRows(int[] kept, int heads, int headWidth)
    {
        var rows = new List<long>(3 * kept.Length * headWidth);
        for (int part = 0; part < 3; part++)
        {
            foreach (int h in kept)
            {
                for (int k = 0; k < headWidth; k++)
                {
                    rows.Add(((long)part * heads * headWidth) + ((long)h * headWidth) + k);
                }
            }
        }
        return tensor(rows.ToArray());
    }

    /// <summary>The attention output units (proj columns) of the kept heads.</summary>
    private static Tensor HeadUnits(int[] kept, int headWidth) =>
        tensor(kept.SelectMany(h => Enumerable.Range(h * headWidth, headWidth).Select(k => (long)k)).ToArray());
}
