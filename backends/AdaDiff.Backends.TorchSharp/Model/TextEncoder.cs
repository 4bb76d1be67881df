using AdaDiff.Engine;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Model;

/// <summary>
/// The small text encoder of a text-conditioned U-ViT, trained with it: token ids → token embedding + learned
/// positional embedding → pre-norm transformer blocks → layer norm, [B, M] → [B, M, E]. Padding (id 0) is embedded
/// like any token (no attention mask), so a prompt of padding only, the unconditional row, is a fixed input of its
/// own and every row's result depends on its ids alone.
/// </summary>
public sealed class TextEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Embedding token_emb;
    private readonly Parameter pos_embed;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm norm;

    /// <summary>Creates the encoder that <paramref name="text"/> describes.</summary>
    public TextEncoder(TextConditioning text) : base(nameof(TextEncoder))
    {
        ArgumentNullException.ThrowIfNull(text);
        int e = text.EncoderDim;
        token_emb = nn.Embedding(text.VocabularySize, e);
        pos_embed = new Parameter(zeros(1, text.MaxTokens, e));
        var layers = new Block[text.EncoderDepth];
        for (int i = 0; i < layers.Length; i++)
        {
            layers[i] = new Block(e, text.EncoderHeads, e / text.EncoderHeads, text.EncoderMlpHidden, qkvBias: false, skip: false);
        }
        blocks = nn.ModuleList(layers);
        norm = nn.LayerNorm(e);
        RegisterComponents();
    }

    /// <summary>The positional embedding, for initialisation, [1, M, E].</summary>
    internal Parameter PositionalEmbedding => pos_embed;

    /// <summary>Encodes token ids (int64) [B, M] → [B, M, E].</summary>
    public override Tensor forward(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        Tensor h = token_emb.forward(tokens);          // [B, M, E]
        h = h.add(pos_embed);                          // [B, M, E]
        foreach (Block block in blocks)
        {
            h = block.forward(h, null);                // [B, M, E]
        }
        h = norm.forward(h);                           // [B, M, E]
        return h.MoveToOuterDisposeScope();
    }
}
