namespace AdaDiff.Engine.Backends;

/// <summary>
/// The U-ViT's shape as every backend runs it, read from a manifest: the tokens of a row
/// (<c>[time, condition tokens, patches]</c>), the in/mid/out split of the layers, and which long skip each layer
/// pushes or pops. Long skips are numbered by the in-block that pushes them: skip k is in-block k's output, popped
/// by layer <c>depth − 1 − k</c>, so the skips form a stack. The one place the backends learn this from.
/// </summary>
public sealed record UViTTopology
{
    private UViTTopology(ModelManifest manifest)
    {
        Depth = manifest.Depth;
        Width = manifest.EmbedDim;
        ConditionTokens = manifest.Conditioning == ConditioningKind.Text ? manifest.Text!.MaxTokens : manifest.NumClasses > 0 ? 1 : 0;
        PatchTokens = manifest.PatchTokens;
        PatchDim = manifest.PatchSize * manifest.PatchSize * manifest.Channels;
        MlpHidden = (int)(manifest.EmbedDim * manifest.MlpRatio);
        HeadWidth = manifest.EmbedDim / manifest.NumHeads;
        heads = manifest.Pruning?.Heads ?? Enumerable.Repeat(manifest.NumHeads, Depth).ToArray();
        mlpHidden = manifest.Pruning?.MlpHidden ?? Enumerable.Repeat(MlpHidden, Depth).ToArray();
        IsPruned = manifest.Pruning is not null;
    }

    private readonly int[] heads;
    private readonly int[] mlpHidden;

    /// <summary>The topology of <paramref name="manifest"/> (a validated manifest).</summary>
    public static UViTTopology Of(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new UViTTopology(manifest);
    }

    /// <summary>Layers L (odd).</summary>
    public int Depth { get; }

    /// <summary>Width D of every token.</summary>
    public int Width { get; }

    /// <summary>In-blocks (L/2), which is also the number of out-blocks and of long skips.</summary>
    public int InBlocks => Depth / 2;

    /// <summary>The mid-block's layer index (L/2): after the in-blocks, before the out-blocks.</summary>
    public int MidLayer => Depth / 2;

    /// <summary>Condition tokens after the time token: 1 label token (class-conditional), 0 (unconditional), or the text model's maximum token count.</summary>
    public int ConditionTokens { get; }

    /// <summary>Tokens before the patches: the time token and the condition tokens. The head and the UEMs read the tokens after these.</summary>
    public int ExtraTokens => 1 + ConditionTokens;

    /// <summary>Patch tokens N = (H/p)(W/p).</summary>
    public int PatchTokens { get; }

    /// <summary>Tokens of a row T = 1 + condition tokens + N: the hidden state of a batch is [B, T, D].</summary>
    public int Tokens => ExtraTokens + PatchTokens;

    /// <summary>Values per patch: p²C.</summary>
    public int PatchDim { get; }

    /// <summary>MLP hidden width of an unpruned denoiser block: MlpRatio × D.</summary>
    public int MlpHidden { get; }

    /// <summary>Width of one attention head, D / numHeads (pruning removes heads, never narrows one).</summary>
    public int HeadWidth { get; }

    /// <summary>True when some layer keeps fewer heads or MLP channels than the unpruned network (manifest <c>pruning</c>).</summary>
    public bool IsPruned { get; }

    /// <summary>Attention heads of the layer: numHeads, or what pruning kept.</summary>
    public int Heads(int layer)
    {
        CheckLayer(layer);
        return heads[layer];
    }

    /// <summary>Width of the layer's attention, heads × head width: qkv is [3·A, D], proj [D, A].</summary>
    public int AttentionWidth(int layer) => Heads(layer) * HeadWidth;

    /// <summary>MLP hidden channels of the layer: <see cref="MlpHidden"/>, or what pruning kept.</summary>
    public int MlpHiddenOf(int layer)
    {
        CheckLayer(layer);
        return mlpHidden[layer];
    }

    /// <summary>Which part of the U the layer (0-based) belongs to.</summary>
    public UViTBlockKind Kind(int layer)
    {
        CheckLayer(layer);
        return layer < MidLayer ? UViTBlockKind.In : layer == MidLayer ? UViTBlockKind.Mid : UViTBlockKind.Out;
    }

    /// <summary>True if the layer is an in-block: its output is pushed as long skip <paramref name="layer"/>.</summary>
    public bool PushesSkip(int layer) => Kind(layer) == UViTBlockKind.In;

    /// <summary>True if the layer is an out-block: it pops the long skip <see cref="SkipPoppedBy"/> before its block.</summary>
    public bool PopsSkip(int layer) => Kind(layer) == UViTBlockKind.Out;

    /// <summary>The skip (the in-block that pushed it) that out-block <paramref name="layer"/> pops: L − 1 − layer, the top of the stack.</summary>
    public int SkipPoppedBy(int layer)
    {
        if (!PopsSkip(layer))
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer {layer} is not an out-block (out-blocks are {MidLayer + 1}..{Depth - 1})");
        }
        return Depth - 1 - layer;
    }

    /// <summary>Skips on the stack after the first <paramref name="layersRun"/> layers (0..L): pushed by the in-blocks run, less those popped by the out-blocks run.</summary>
    public int SkipsAfter(int layersRun)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layersRun);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(layersRun, Depth);
        return Math.Min(layersRun, InBlocks) - Math.Max(0, layersRun - MidLayer - 1);
    }

    /// <summary>
    /// The weight-name prefix of the layer's block, as the PyTorch state dict names it: <c>in_blocks.i</c>,
    /// <c>mid_block</c>, <c>out_blocks.j</c>.
    /// </summary>
    public string BlockName(int layer) => Kind(layer) switch
    {
        UViTBlockKind.In => $"in_blocks.{layer}",
        UViTBlockKind.Mid => "mid_block",
        _ => $"out_blocks.{layer - MidLayer - 1}",
    };

    private void CheckLayer(int layer)
    {
        if ((uint)layer >= (uint)Depth)
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layers are 0..{Depth - 1}");
        }
    }
}
