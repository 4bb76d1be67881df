using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Model;

/// <summary>
/// U-ViT with AdaDiff exits. Tokens are [time token, condition tokens, patch tokens] plus a learned positional
/// embedding, where the condition is a label token (class-conditional), nothing (unconditional) or, for a text model,
/// the prompt's tokens through <see cref="TextEncoder"/> and the projection context_embed to the width D (as U-ViT's
/// text-to-image variant adds its text tokens); in_blocks push long skips, mid_block, out_blocks pop them.
/// One output head (norm → decoder_pred → unpatchify → final_layer) is shared by all layers, and every
/// layer has its own timestep-aware UEM. The stage methods (<see cref="Embed"/>, <see cref="Layer"/>,
/// <see cref="Head"/>, <see cref="UemPatches"/>) are what the backend and the trainer drive.
/// </summary>
public sealed class UViT : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    private readonly PatchEmbed patch_embed;
    private readonly Embedding? label_emb;
    private readonly TextEncoder? text_encoder;
    private readonly Linear? context_embed;
    private readonly Parameter pos_embed;
    private readonly ModuleList<Block> in_blocks;
    private readonly Block mid_block;
    private readonly ModuleList<Block> out_blocks;
    private readonly LayerNorm norm;
    private readonly Linear decoder_pred;
    private readonly Conv2d final_layer;
    private readonly ModuleList<UemHead> uem;
    private readonly Tensor frequencies;

    /// <summary>
    /// Creates the network of <paramref name="manifest"/>'s architecture with U-ViT's initialisation (truncated normal
    /// σ=0.02 for linears and pos_embed). <paramref name="qkvBias"/> puts a bias on the attention's qkv projection
    /// (U-ViT's default is none; the ONNX exporter supports none only).
    /// </summary>
    public UViT(ModelManifest manifest, bool qkvBias = false) : base(nameof(UViT))
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.Depth < 1 || manifest.Depth % 2 == 0)
        {
            throw new ArgumentException($"depth must be odd, got {manifest.Depth}", nameof(manifest));
        }
        if (manifest.EmbedDim % 2 != 0 || manifest.EmbedDim % manifest.NumHeads != 0)
        {
            throw new ArgumentException($"embedDim {manifest.EmbedDim} must be even and a multiple of numHeads {manifest.NumHeads}", nameof(manifest));
        }
        Manifest = manifest;
        Topology = UViTTopology.Of(manifest);
        QkvBias = qkvBias;
        int d = manifest.EmbedDim;
        int blocks = Topology.InBlocks;
        patch_embed = new PatchEmbed(manifest.Channels, d, manifest.PatchSize);
        label_emb = manifest.NumClasses > 0 ? nn.Embedding(manifest.NumClasses + 1, d) : null;
        if (manifest.Conditioning == ConditioningKind.Text)
        {
            text_encoder = new TextEncoder(manifest.Text!);
            context_embed = nn.Linear(manifest.Text!.EncoderDim, d);
        }
        pos_embed = new Parameter(zeros(1, Topology.Tokens, d));
        var inBlocks = new Block[blocks];
        var outBlocks = new Block[blocks];
        for (int i = 0; i < blocks; i++)
        {
            inBlocks[i] = NewBlock(i, qkvBias);
        }
        mid_block = NewBlock(Topology.MidLayer, qkvBias);
        for (int i = 0; i < blocks; i++)
        {
            outBlocks[i] = NewBlock(Topology.MidLayer + 1 + i, qkvBias);
        }
        in_blocks = nn.ModuleList(inBlocks);
        out_blocks = nn.ModuleList(outBlocks);
        norm = nn.LayerNorm(d);
        decoder_pred = nn.Linear(d, Topology.PatchDim);
        final_layer = nn.Conv2d(manifest.Channels, manifest.Channels, 3, padding: 1);
        var heads = new UemHead[manifest.Depth];
        for (int i = 0; i < heads.Length; i++)
        {
            heads[i] = new UemHead(d, Topology.PatchDim);
        }
        uem = nn.ModuleList(heads);
        RegisterComponents();

        // Not a parameter or buffer (no state-dict entry): exp(-ln(10000)·k/(D/2)), k = 0..D/2-1.
        frequencies = exp(arange(0, d / 2, dtype: ScalarType.Float32).mul(-Math.Log(10000) / (d / 2)));
        frequencies.DetachFromDisposeScope();
        InitializeWeights();
    }

    /// <summary>The manifest whose architecture this network has (its other fields are not read).</summary>
    public ModelManifest Manifest { get; }

    /// <summary>Tokens, the in/mid/out split and the long skips (<see cref="UViTTopology"/>).</summary>
    public UViTTopology Topology { get; }

    /// <summary>True when the qkv projections carry a bias.</summary>
    public bool QkvBias { get; }

    /// <summary>Layers L.</summary>
    public int Depth => Topology.Depth;

    /// <summary>Layer <paramref name="layer"/>'s block, with the heads and MLP channels the topology gives it (pruned or not).</summary>
    private Block NewBlock(int layer, bool qkvBias) =>
        new(Topology.Width, Topology.Heads(layer), Topology.HeadWidth, Topology.MlpHiddenOf(layer), qkvBias, skip: Topology.PopsSkip(layer));

    /// <summary>Sinusoidal timestep embedding (no MLP): [B] → [B, D] = [cos(t·f), sin(t·f)].</summary>
    public Tensor TimestepEmbedding(Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        Tensor args = timesteps.to_type(ScalarType.Float32).unsqueeze(1).mul(frequencies.unsqueeze(0)); // [B, D/2]
        Tensor emb = cat([args.cos(), args.sin()], -1);                                             // [B, D]
        return emb.MoveToOuterDisposeScope();
    }

    /// <summary>Tokens of a batch: [time, condition tokens, patches] + pos_embed, [B, T, D].</summary>
    /// <param name="x">x_t, [B, C, H, W].</param>
    /// <param name="timeEmbedding">From <see cref="TimestepEmbedding"/>, [B, D].</param>
    /// <param name="conditions">
    /// int64: the class per row [B] (NumClasses = null class) of a class model, the prompt's token ids [B, M] (all
    /// padding = unconditional) of a text model; ignored by an unconditional model.
    /// </param>
    public Tensor Embed(Tensor x, Tensor timeEmbedding, Tensor? conditions)
    {
        using var scope = NewDisposeScope();
        Tensor patches = patch_embed.forward(x);                      // [B, N, D]
        Tensor time = timeEmbedding.unsqueeze(1);                     // [B, 1, D]
        Tensor h;
        if (label_emb is not null)
        {
            ArgumentNullException.ThrowIfNull(conditions);
            Tensor label = label_emb.forward(conditions).unsqueeze(1); // [B, 1, D]
            h = cat([time, label, patches], 1);                       // [B, T, D]
        }
        else if (text_encoder is not null)
        {
            ArgumentNullException.ThrowIfNull(conditions);
            Tensor text = text_encoder.forward(conditions);           // [B, M, E]
            Tensor context = context_embed!.forward(text);            // [B, M, D]
            h = cat([time, context, patches], 1);                     // [B, T, D]
        }
        else
        {
            h = cat([time, patches], 1);                              // [B, T, D]
        }
        h = h.add(pos_embed);                                         // [B, T, D]
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>Runs layer <paramref name="layer"/> (0-based; in, mid, then out blocks): [B, T, D] → [B, T, D].</summary>
    /// <param name="layer">Layer index.</param>
    /// <param name="hidden">Hidden state, [B, T, D].</param>
    /// <param name="skip">The popped long skip for out-blocks, [B, T, D]; null otherwise.</param>
    public Tensor Layer(int layer, Tensor hidden, Tensor? skip)
    {
        return Topology.Kind(layer) switch
        {
            UViTBlockKind.In => in_blocks[layer].forward(hidden, null),
            UViTBlockKind.Mid => mid_block.forward(hidden, null),
            _ => out_blocks[layer - Topology.MidLayer - 1].forward(hidden, skip),
        };
    }

    /// <summary>The shared output head: norm → decoder_pred on patch tokens → unpatchify → final_layer, [B, T, D] → [B, C, H, W].</summary>
    public Tensor Head(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        Tensor h = PatchImage(hidden);                                        // [B, C, H, W]
        h = final_layer.forward(h);                                           // [B, C, H, W]
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>The head before final_layer, in the caller's dispose scope: norm → decoder_pred on patch tokens → unpatchify, [B, T, D] → [B, C, H, W].</summary>
    private Tensor PatchImage(Tensor hidden)
    {
        Tensor h = norm.forward(hidden);                                      // [B, T, D]
        h = h.narrow(1, Topology.ExtraTokens, Topology.PatchTokens);          // [B, N, D]
        h = decoder_pred.forward(h);                                          // [B, N, p²C]
        return Unpatchify(h);                                                 // [B, C, H, W]
    }

    /// <summary>
    /// <see cref="Head"/> with final_layer run one row at a time, so that each row's bits do not depend on the rest of
    /// the batch: libtorch's 3×3 convolution takes another algorithm for one image than for several (measured on this
    /// model: 499 of a row's 784 values differ in their last bits between a batch of 1 and of 16; every other stage gives
    /// the same bits at any batch size). The serving path uses this; training keeps the batched <see cref="Head"/>.
    /// </summary>
    public Tensor HeadRowByRow(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        Tensor h = PatchImage(hidden);                                        // [B, C, H, W]
        long rows = h.shape[0];
        var images = new Tensor[rows];
        for (int i = 0; i < rows; i++)
        {
            images[i] = final_layer.forward(h.narrow(0, i, 1));              // [1, C, H, W]
        }
        h = rows == 1 ? images[0] : cat(images, 0);                           // [B, C, H, W]
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>UEM of layer <paramref name="layer"/> on its hidden state: certainty per patch value, [B, N, p²C].</summary>
    public Tensor UemPatches(int layer, Tensor hidden, Tensor timeEmbedding)
    {
        using var scope = NewDisposeScope();
        Tensor patches = hidden.narrow(1, Topology.ExtraTokens, Topology.PatchTokens); // [B, N, D]
        Tensor u = uem[layer].forward(patches, timeEmbedding);                     // [B, N, p²C]
        return u.MoveToOuterDisposeScope();
    }

    /// <summary>Per-sample certainty of layer <paramref name="layer"/>: the UEM map averaged over pixels, [B].</summary>
    public Tensor Certainty(int layer, Tensor hidden, Tensor timeEmbedding)
    {
        using var scope = NewDisposeScope();
        Tensor u = UemPatches(layer, hidden, timeEmbedding);  // [B, N, p²C]
        Tensor c = u.mean([1, 2]);                            // [B]
        return c.MoveToOuterDisposeScope();
    }

    /// <summary>'B (h w) (p1 p2 C) -> B C (h p1) (w p2)': [B, N, p²C] → [B, C, H, W].</summary>
    public Tensor Unpatchify(Tensor patches)
    {
        using var scope = NewDisposeScope();
        int p = Manifest.PatchSize, hp = Manifest.Height / p, wp = Manifest.Width / p;
        long b = patches.shape[0];
        Tensor x = patches.reshape(b, hp, wp, p, p, Manifest.Channels);          // [B, h, w, p1, p2, C]
        x = x.permute(0, 5, 1, 3, 2, 4);                                         // [B, C, h, p1, w, p2]
        x = x.reshape(b, Manifest.Channels, Manifest.Height, Manifest.Width);    // [B, C, H, W]
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Layer <paramref name="layer"/> on <paramref name="hidden"/> [B, T, D] with the long skip it pops from
    /// <paramref name="skips"/>, if any; its output [B, T, D] is pushed when an in-block's (the U-shape of <see cref="Topology"/>).
    /// </summary>
    private Tensor LayerWithSkips(int layer, Tensor hidden, Stack<Tensor> skips)
    {
        Tensor h = Layer(layer, hidden, Topology.PopsSkip(layer) ? skips.Pop() : null); // [B, T, D]
        if (Topology.PushesSkip(layer))
        {
            skips.Push(h);
        }
        return h;
    }

    /// <summary>Full-depth noise prediction ε̂_L, [B, C, H, W].</summary>
    public override Tensor forward(Tensor x, Tensor timesteps, Tensor? conditions)
    {
        using var scope = NewDisposeScope();
        Tensor temb = TimestepEmbedding(timesteps);           // [B, D]
        Tensor h = Embed(x, temb, conditions);                    // [B, T, D]
        var skips = new Stack<Tensor>();
        for (int i = 0; i < Depth; i++)
        {
            h = LayerWithSkips(i, h, skips); // [B, T, D]
        }
        Tensor eps = Head(h);                                 // [B, C, H, W]
        return eps.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Every exit at once, for training: ε̂_i [B, C, H, W] from the shared head and the UEM certainty map
    /// u_i [B, C, H, W] (input detached) of each layer i.
    /// </summary>
    public (Tensor[] Predictions, Tensor[] Certainties) ForwardExits(Tensor x, Tensor timesteps, Tensor? conditions)
    {
        using var scope = NewDisposeScope();
        var predictions = new Tensor[Depth];
        var certainties = new Tensor[Depth];
        Tensor temb = TimestepEmbedding(timesteps);           // [B, D]
        Tensor h = Embed(x, temb, conditions);                    // [B, T, D]
        var skips = new Stack<Tensor>();
        for (int i = 0; i < Depth; i++)
        {
            h = LayerWithSkips(i, h, skips); // [B, T, D]
            predictions[i] = Head(h).MoveToOuterDisposeScope();                         // [B, C, H, W]
            certainties[i] = Unpatchify(UemPatches(i, h, temb)).MoveToOuterDisposeScope(); // [B, C, H, W]
        }
        return (predictions, certainties);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            frequencies.Dispose();
        }
        base.Dispose(disposing);
    }

    // U-ViT's timm trunc_normal_(std=0.02) truncates at ±2 absolute, i.e. at ±100 std: a plain normal.
    // TorchSharp 0.107's nn.init.trunc_normal_ is not used: it fills the tensor with the constant std
    // (mul_(mean) then add_(std)), which makes every unit of a layer identical.
    private void InitializeWeights()
    {
        using var noGrad = no_grad();
        pos_embed.normal_(0.0, 0.02);
        text_encoder?.PositionalEmbedding.normal_(0.0, 0.02);
        foreach (nn.Module module in modules())
        {
            if (module is Linear linear)
            {
                linear.weight.normal_(0.0, 0.02);
                if (linear.bias is not null)
                {
                    nn.init.zeros_(linear.bias);
                }
            }
        }
    }
}
