using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using Onnx;
using DType = Onnx.TensorProto.Types.DataType;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// The ONNX graphs of the U-ViT with exits, written to compute what <c>AdaDiff.Backends.TorchSharp.Model.UViT</c>
/// computes (same weights, same operator order where it matters): one graph per stage (embed, layer, UEM, head), and
/// fused graphs of several stages (<see cref="Fused"/>) from the same node builders. Batch is the symbolic dimension
/// "B" everywhere.
/// </summary>
internal sealed class UViTGraphs
{
    private readonly ModelManifest m;
    private readonly UViTTopology topology;
    private readonly WeightReader w;
    private readonly int d;
    private readonly int extra;
    private readonly int tokens;
    private readonly int patchDim;

    public UViTGraphs(ModelManifest manifest, WeightReader weights)
    {
        m = manifest;
        topology = UViTTopology.Of(manifest);
        w = weights;
        d = topology.Width;
        extra = topology.ExtraTokens;
        tokens = topology.Tokens;
        patchDim = topology.PatchDim;
    }

    /// <summary>Layers of the network.</summary>
    public int Depth => m.Depth;

    /// <summary>
    /// embed: x [B, C, H, W], t [B] (float), y (int64: class labels [B], class-conditional only, or a text model's
    /// token ids [B, M], through the text encoder) → hidden [B, T, D] and the
    /// sinusoidal time embedding temb [B, D] = [cos(t·f), sin(t·f)].
    /// </summary>
    public ModelProto Embed()
    {
        var g = new GraphBuilder("embed");
        (string x, string t, string? y) = EmbedInputs(g);
        (string h, string temb) = EmitEmbed(g, x, t, y);
        g.Output("hidden", h, DType.Float, "B", tokens, d);
        g.Output("temb", temb, DType.Float, "B", d);
        return g.Build($"{m.Name}: embed (patchify, time and label tokens, positional embedding)");
    }

    /// <summary>layer i: hidden [B, T, D] (and skip [B, T, D] for out-blocks) → hidden [B, T, D].</summary>
    public ModelProto Layer(int layer)
    {
        bool takesSkip = topology.PopsSkip(layer);
        var g = new GraphBuilder($"layer_{layer:D2}");
        string x = g.Input("hidden", DType.Float, "B", tokens, d);
        string? skip = takesSkip ? g.Input("skip", DType.Float, "B", tokens, d) : null;
        x = EmitLayer(g, layer, x, skip);
        g.Output("out", x, DType.Float, "B", tokens, d);
        return g.Build($"{m.Name}: layer {layer} ({topology.BlockName(layer)}{(takesSkip ? ", pops a long skip" : topology.PushesSkip(layer) ? ", pushes a long skip" : "")})");
    }

    /// <summary>uem i: hidden [B, T, D], temb [B, D] → certainty [B] (sigmoid map averaged over pixels).</summary>
    public ModelProto Uem(int layer)
    {
        var g = new GraphBuilder($"uem_{layer:D2}");
        string h = g.Input("hidden", DType.Float, "B", tokens, d);
        string temb = g.Input("temb", DType.Float, "B", d);
        g.Output("certainty", EmitUem(g, layer, h, temb), DType.Float, "B");
        return g.Build($"{m.Name}: timestep-aware UEM of layer {layer}");
    }

    /// <summary>head: hidden [B, T, D] → ε̂ [B, C, H, W] (norm → decoder_pred → unpatchify → final_layer).</summary>
    public ModelProto Head()
    {
        var g = new GraphBuilder("head");
        string h = g.Input("hidden", DType.Float, "B", tokens, d);
        g.Output("eps", EmitHead(g, h), DType.Float, "B", m.Channels, m.Height, m.Width);
        return g.Build($"{m.Name}: shared output head");
    }

    /// <summary>
    /// Several stages as one graph (<see cref="FusedStage"/> gives its signature), from the same node builders as the
    /// per-stage graphs, so that the same operators run in the same order on the same weights:
    /// [embed →] layer First → … → layer End−1 [→ UEM certainty | → head], skips wired inside the graph where the
    /// range both pushes and pops them.
    /// </summary>
    public ModelProto Fused(FusedStage stage)
    {
        stage.Check(m.Depth);
        var g = new GraphBuilder(stage.Name);
        string h;
        string? temb = null;
        if (stage.Embed)
        {
            (string x, string t, string? y) = EmbedInputs(g);
            (h, temb) = EmitEmbed(g, x, t, y);                                                    // [B, T, D], [B, D]
        }
        else
        {
            h = g.Input("hidden", DType.Float, "B", tokens, d);                                   // [B, T, D]
        }
        var skips = new string?[topology.InBlocks];
        foreach (int k in stage.SkipInputs(topology))
        {
            skips[k] = g.Input(FusedStage.SkipName(k), DType.Float, "B", tokens, d);             // [B, T, D]
        }
        if (stage.Certainty && temb is null)
        {
            temb = g.Input("temb", DType.Float, "B", d);                                          // [B, D]
        }
        for (int layer = stage.First; layer < stage.End; layer++)
        {
            string? skip = topology.PopsSkip(layer) ? skips[topology.SkipPoppedBy(layer)] : null;
            h = EmitLayer(g, layer, h, skip);                                                     // [B, T, D]
            if (topology.PushesSkip(layer))
            {
                skips[layer] = h;
            }
        }
        if (stage.Head)
        {
            g.Output("eps", EmitHead(g, h), DType.Float, "B", m.Channels, m.Height, m.Width);    // [B, C, H, W]
            return g.Build($"{m.Name}: {stage.Name}");
        }
        g.Output("out", h, DType.Float, "B", tokens, d);
        if (stage.Embed)
        {
            g.Output("temb", temb!, DType.Float, "B", d);
        }
        foreach (int k in stage.SkipOutputs(topology))
        {
            g.Output(FusedStage.SkipName(k), skips[k]!, DType.Float, "B", tokens, d);
        }
        if (stage.Certainty)
        {
            g.Output("certainty", EmitUem(g, stage.End - 1, h, temb!), DType.Float, "B");       // [B]
        }
        return g.Build($"{m.Name}: {stage.Name}");
    }

    private (string X, string T, string? Y) EmbedInputs(GraphBuilder g)
    {
        string x = g.Input("x", DType.Float, "B", m.Channels, m.Height, m.Width);
        string t = g.Input("t", DType.Float, "B");
        string? y = m.Conditioning == ConditioningKind.Text
            ? g.Input("y", DType.Int64, "B", m.Text!.MaxTokens)
            : m.NumClasses > 0 ? g.Input("y", DType.Int64, "B") : null;
        return (x, t, y);
    }

    /// <summary>x [B, C, H, W], t [B], y (class labels [B] or token ids [B, M]) → hidden [B, T, D], temb [B, D].</summary>
    private (string Hidden, string TimeEmbedding) EmitEmbed(GraphBuilder g, string x, string t, string? y)
    {
        int p = m.PatchSize;
        // f_k = exp(k · (−ln 10000 / (D/2))) with k·c rounded to float32 first, as torch computes arange(float32)·c.
        int half = d / 2;
        var freq = new float[half];
        float c = (float)(-Math.Log(10000) / half);
        for (int k = 0; k < half; k++)
        {
            freq[k] = (float)Math.Exp((float)k * c);
        }
        string args = g.Mul(g.Unsqueeze(t, 1), g.Constant("frequencies", freq, 1, half));       // [B, D/2]
        string temb = g.Concat(-1, g.Node("Cos", [args]), g.Node("Sin", [args]));              // [B, D]

        string patches = g.Node("Conv", [x,
                g.Constant("patch_embed.proj.weight", w.Take("patch_embed.proj.weight", d, m.Channels, p, p), d, m.Channels, p, p),
                g.Constant("patch_embed.proj.bias", w.Take("patch_embed.proj.bias", d), d)],
            null, GraphBuilder.Ints("kernel_shape", p, p), GraphBuilder.Ints("strides", p, p));   // [B, D, H/p, W/p]
        patches = g.Transpose(g.Reshape(patches, 0, d, m.PatchTokens), 0, 2, 1);                  // [B, N, D]
        string time = g.Unsqueeze(temb, 1);                                                       // [B, 1, D]
        string h;
        if (y is not null && m.Conditioning == ConditioningKind.Text)
        {
            string context = EmitTextEncoder(g, y);                                               // [B, M, D]
            h = g.Concat(1, time, context, patches);                                              // [B, T, D]
        }
        else if (y is not null)
        {
            string table = g.Constant("label_emb.weight", w.Take("label_emb.weight", m.NumClasses + 1, d), m.NumClasses + 1, d);
            string label = g.Unsqueeze(g.Node("Gather", [table, y], null, GraphBuilder.Int("axis", 0)), 1); // [B, 1, D]
            h = g.Concat(1, time, label, patches);                                                // [B, T, D]
        }
        else
        {
            h = g.Concat(1, time, patches);                                                       // [B, T, D]
        }
        h = g.Add(h, g.Constant("pos_embed", w.Take("pos_embed", 1, tokens, d), 1, tokens, d));    // [B, T, D]
        return (h, temb);
    }

    /// <summary>
    /// The text encoder's nodes, as <c>TextEncoder</c> and context_embed compute them: token ids y [B, M] → token
    /// embedding + positional embedding [B, M, E] → pre-norm blocks → norm → context_embed → [B, M, D].
    /// </summary>
    private string EmitTextEncoder(GraphBuilder g, string y)
    {
        TextConditioning text = m.Text!;
        int e = text.EncoderDim, tokensOfText = text.MaxTokens;
        string table = g.Constant("text_encoder.token_emb.weight", w.Take("text_encoder.token_emb.weight", text.VocabularySize, e), text.VocabularySize, e);
        string h = g.Node("Gather", [table, y], null, GraphBuilder.Int("axis", 0));                // [B, M, E]
        h = g.Add(h, g.Constant("text_encoder.pos_embed", w.Take("text_encoder.pos_embed", 1, tokensOfText, e), 1, tokensOfText, e)); // [B, M, E]
        for (int i = 0; i < text.EncoderDepth; i++)
        {
            h = EmitBlock(g, $"text_encoder.blocks.{i}", h, null, e, text.EncoderHeads, e / text.EncoderHeads, text.EncoderMlpHidden); // [B, M, E]
        }
        h = Norm(g, "text_encoder.norm", h, e);                                                   // [B, M, E]
        return Linear(g, "context_embed", h, e, d);                                               // [B, M, D]
    }

    /// <summary>Layer <paramref name="layer"/>'s nodes: x [B, T, D] (and its long skip [B, T, D] for out-blocks) → [B, T, D].</summary>
    private string EmitLayer(GraphBuilder g, int layer, string x, string? skip) =>
        EmitBlock(g, topology.BlockName(layer), x, skip, d, topology.Heads(layer), topology.HeadWidth, topology.MlpHiddenOf(layer));

    /// <summary>
    /// A pre-norm transformer block <paramref name="width"/> wide with <paramref name="heads"/> heads
    /// <paramref name="headWidth"/> wide and <paramref name="mlpHidden"/> MLP channels: x [B, S, W] (and a long skip
    /// [B, S, W], merged first by skip_linear) → [B, S, W].
    /// </summary>
    private string EmitBlock(GraphBuilder g, string prefix, string x, string? skip, int width, int heads, int headWidth, int mlpHidden)
    {
        if (skip is not null)
        {
            x = Linear(g, $"{prefix}.skip_linear", g.Concat(-1, x, skip), 2 * width, width);        // [B, S, 2W] → [B, S, W]
        }
        if (w.Has($"{prefix}.attn.qkv.bias"))
        {
            throw new InvalidDataException($"{m.Name}: '{prefix}.attn.qkv.bias' is present: the exporter supports U-ViT without qkv bias only");
        }
        x = g.Add(x, Attention(g, prefix, Norm(g, $"{prefix}.norm1", x, width), width, heads, headWidth)); // [B, S, W]
        x = g.Add(x, Mlp(g, prefix, Norm(g, $"{prefix}.norm2", x, width), width, mlpHidden));     // [B, S, W]
        return x;
    }

    /// <summary>UEM <paramref name="layer"/>'s nodes: hidden [B, T, D], temb [B, D] → certainty [B].</summary>
    private string EmitUem(GraphBuilder g, int layer, string h, string temb)
    {
        string patches = g.Slice(h, 1, extra, tokens);                                            // [B, N, D]
        var ones = new float[d];
        Array.Fill(ones, 1f);
        patches = g.LayerNorm(patches, g.Constant("ones", ones, d), g.Constant("zeros", new float[d], d)); // [B, N, D]
        // Linear(2D → p²C) on cat[h, t] = h·W_hᵀ + t·W_tᵀ + b: the time half once per row, not per token.
        float[] weight = w.Take($"uem.{layer}.linear.weight", patchDim, 2 * d);
        var wh = new float[d * patchDim];
        var wt = new float[d * patchDim];
        for (int o = 0; o < patchDim; o++)
        {
            for (int i = 0; i < d; i++)
            {
                wh[(i * patchDim) + o] = weight[(o * 2 * d) + i];
                wt[(i * patchDim) + o] = weight[(o * 2 * d) + d + i];
            }
        }
        string bias = g.Constant($"uem.{layer}.linear.bias", w.Take($"uem.{layer}.linear.bias", patchDim), patchDim);
        string tokenPart = g.MatMul(patches, g.Constant("w_tokens", wh, d, patchDim));                     // [B, N, p²C]
        string timePart = g.Add(g.MatMul(temb, g.Constant("w_time", wt, d, patchDim)), bias);             // [B, p²C]
        string u = g.Node("Sigmoid", [g.Add(tokenPart, g.Unsqueeze(timePart, 1))]);                       // [B, N, p²C]
        string certainty = g.Node("ReduceMean", [u], null, GraphBuilder.Ints("axes", 1, 2), GraphBuilder.Int("keepdims", 0)); // [B]
        return certainty;
    }

    /// <summary>The shared head's nodes: hidden [B, T, D] → ε̂ [B, C, H, W].</summary>
    private string EmitHead(GraphBuilder g, string h)
    {
        int p = m.PatchSize, c = m.Channels;
        h = Norm(g, "norm", g.Slice(h, 1, extra, tokens), d);                                        // [B, N, D]
        h = Linear(g, "decoder_pred", h, d, patchDim);                                            // [B, N, p²C]
        h = g.Reshape(h, 0, m.Height / p, m.Width / p, p, p, c);                                  // [B, h, w, p1, p2, C]
        h = g.Transpose(h, 0, 5, 1, 3, 2, 4);                                                     // [B, C, h, p1, w, p2]
        h = g.Reshape(h, 0, c, m.Height, m.Width);                                                // [B, C, H, W]
        h = g.Node("Conv", [h,
                g.Constant("final_layer.weight", w.Take("final_layer.weight", c, c, 3, 3), c, c, 3, 3),
                g.Constant("final_layer.bias", w.Take("final_layer.bias", c), c)],
            null, GraphBuilder.Ints("kernel_shape", 3, 3), GraphBuilder.Ints("pads", 1, 1, 1, 1));   // [B, C, H, W]
        return h;
    }

    private string Norm(GraphBuilder g, string prefix, string x, int width) =>
        g.LayerNorm(x,
            g.Constant($"{prefix}.weight", w.Take($"{prefix}.weight", width), width),
            g.Constant($"{prefix}.bias", w.Take($"{prefix}.bias", width), width));

    private string Linear(GraphBuilder g, string prefix, string x, int inFeatures, int outFeatures, bool bias = true)
    {
        string y = g.MatMul(x, g.Constant($"{prefix}.weight", w.TakeTransposed($"{prefix}.weight", outFeatures, inFeatures), inFeatures, outFeatures));
        return bias ? g.Add(y, g.Constant($"{prefix}.bias", w.Take($"{prefix}.bias", outFeatures), outFeatures)) : y;
    }

    /// <summary>
    /// softmax(QKᵀ/√d)V written out as U-ViT does, <paramref name="heads"/> heads of <paramref name="dh"/>:
    /// [B, T, D] → [B, T, D] (D = <paramref name="width"/>; A = heads × dh is D unless the layer was pruned).
    /// </summary>
    private string Attention(GraphBuilder g, string prefix, string x, int width, int heads, int dh)
    {
        int a = heads * dh;
        string qkv = Linear(g, $"{prefix}.attn.qkv", x, width, 3 * a, bias: false);              // [B, T, 3A]
        qkv = g.Transpose(g.Reshape(qkv, 0, 0, 3, heads, dh), 2, 0, 3, 1, 4);                     // [3, B, H, T, d]
        string q = g.Node("Gather", [qkv, g.Int64s([0])], null, GraphBuilder.Int("axis", 0));      // [B, H, T, d]
        string k = g.Node("Gather", [qkv, g.Int64s([1])], null, GraphBuilder.Int("axis", 0));      // [B, H, T, d]
        string v = g.Node("Gather", [qkv, g.Int64s([2])], null, GraphBuilder.Int("axis", 0));      // [B, H, T, d]
        string scores = g.Mul(g.MatMul(q, g.Transpose(k, 0, 1, 3, 2)), g.Scalar((float)Math.Pow(dh, -0.5))); // [B, H, T, T]
        string attn = g.Node("Softmax", [scores], null, GraphBuilder.Int("axis", -1));           // [B, H, T, T]
        string o = g.Transpose(g.MatMul(attn, v), 0, 2, 1, 3);                                    // [B, T, H, d]
        o = g.Reshape(o, 0, 0, a);                                                                // [B, T, A]
        return Linear(g, $"{prefix}.attn.proj", o, a, width);                                    // [B, T, D]
    }

    /// <summary>fc1 → exact GELU 0.5·x·(1 + erf(x/√2)) (ORT fuses the pattern) → fc2.</summary>
    private string Mlp(GraphBuilder g, string prefix, string x, int width, int mlpHidden)
    {
        string h = Linear(g, $"{prefix}.mlp.fc1", x, width, mlpHidden);                           // [B, T, hidden]
        string erf = g.Node("Erf", [g.Node("Div", [h, g.Scalar(MathF.Sqrt(2f))])]);
        h = g.Mul(g.Mul(h, g.Add(erf, g.Scalar(1f))), g.Scalar(0.5f));                            // [B, T, hidden]
        return Linear(g, $"{prefix}.mlp.fc2", h, mlpHidden, width);                               // [B, T, D]
    }
}
