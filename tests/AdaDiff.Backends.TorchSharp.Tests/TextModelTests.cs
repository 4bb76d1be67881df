using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp.Safetensors;
using AdaDiff.Engine;
using AdaDiff.Engine.Text;

namespace AdaDiff.Backends.TorchSharp.Tests;

/// <summary>The text-conditioned U-ViT's modules: weight names shared with the ONNX graphs and FLOPs with the text encoder.</summary>
public sealed class TextModelTests
{
    private static TextConditioning Text() =>
        TextConditioning.For(PromptVocabulary.Create(["a", "boot", "dark", "small"], maxTokens: 7), encoderDim: 16, encoderDepth: 2, encoderHeads: 2);

    [Fact]
    public void StateEntries_TextModel_TextEncoderAndContextEmbedNoLabelTable()
    {
        using var model = new UViT(UViTConfig.TinyText(Text()));
        Dictionary<string, long[]> shapes = SafetensorsTorch.StateEntries(model).ToDictionary(e => e.Name, e => e.Shape);

        Assert.Equal([8, 16], shapes["text_encoder.token_emb.weight"]);
        Assert.Equal([1, 7, 16], shapes["text_encoder.pos_embed"]);
        Assert.Equal([48, 16], shapes["text_encoder.blocks.1.attn.qkv.weight"]);
        Assert.Equal([16], shapes["text_encoder.norm.weight"]);
        Assert.Equal([32, 16], shapes["context_embed.weight"]);
        Assert.Equal([1, 1 + 7 + 16, 32], shapes["pos_embed"]);
        Assert.False(shapes.ContainsKey("label_emb.weight"));
        Assert.False(shapes.ContainsKey("text_encoder.blocks.2.attn.qkv.weight"));
    }

    [Fact]
    public void Count_TextModel_EmbedAddsTheEncoderOncePerRowAndLayersSeeTheTextTokens()
    {
        ModelManifest text = UViTConfig.TinyText(Text());
        FlopCounts withText = FlopCounter.Count(text);
        FlopCounts unconditional = FlopCounter.Count(UViTConfig.Tiny(numClasses: 0));

        // Per block on M = 7 tokens, E = 16, MLP 32: qkv 2·7·16·48, QKᵀ and AV 4·49·16, proj 2·7·16·16, MLP 4·7·16·32;
        // two blocks, then context_embed 2·7·16·32.
        double encoder = (2 * ((2 * 7 * 16 * 48) + (4 * 49 * 16) + (2 * 7 * 16 * 16) + (4 * 7 * 16 * 32))) + (2 * 7 * 16 * 32);
        Assert.Equal(unconditional.Embed + encoder, withText.Embed);
        Assert.True(withText.PerLayer[0] > unconditional.PerLayer[0], "attention over 7 more tokens");
        Assert.Equal(unconditional.Head, withText.Head);
        Assert.Equal(unconditional.Uem, withText.Uem);
    }
}
