using AdaDiff.Engine;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Backends.TorchSharp.Model;

/// <summary>
/// Per-image FLOPs of a U-ViT with exits (multiply-add = 2). Counts matrix products and convolutions,
/// which are over 98% of the work; layer norms, softmax, GELU and additions are left out.
/// </summary>
public static class FlopCounter
{
    /// <summary>FLOPs of each stage for one image.</summary>
    public static FlopCounts Count(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var topology = UViTTopology.Of(manifest);
        double d = topology.Width, t = topology.Tokens, n = topology.PatchTokens, patchDim = topology.PatchDim;
        double embed = 2 * n * patchDim * d                       // p×p stride-p conv = per-patch Linear(p²C → D)
            + TextEncoder(manifest.Text, d);                      // once per row, with the embedding
        double skip = 2 * t * (2 * d) * d;                        // skip_linear on cat[x, skip]
        var perLayer = new double[topology.Depth];
        for (int i = 0; i < perLayer.Length; i++)
        {
            double a = topology.AttentionWidth(i);                // heads × head width (D unpruned)
            double attention = 2 * t * d * (3 * a)                // qkv
                + 2 * 2 * t * t * a                               // QKᵀ and AV over the layer's heads
                + 2 * t * a * d;                                  // proj
            double mlp = 2 * 2 * t * d * topology.MlpHiddenOf(i); // fc1 and fc2
            perLayer[i] = attention + mlp + (topology.PopsSkip(i) ? skip : 0);
        }
        double uem = 2 * n * (2 * d) * patchDim;
        double head = 2 * n * d * patchDim                        // decoder_pred on patch tokens
            + 2 * manifest.Height * manifest.Width * (double)manifest.Channels * manifest.Channels * 9; // 3×3 final conv
        return new FlopCounts { Embed = embed, PerLayer = perLayer, Uem = uem, Head = head };
    }

    /// <summary>The text encoder's blocks on M tokens E wide and context_embed Linear(E → D); 0 without text.</summary>
    private static double TextEncoder(TextConditioning? text, double d)
    {
        if (text is null)
        {
            return 0;
        }
        double m = text.MaxTokens, e = text.EncoderDim;
        double block = 2 * m * e * (3 * e)                         // qkv
            + 2 * 2 * m * m * e                                   // QKᵀ and AV
            + 2 * m * e * e                                       // proj
            + 2 * 2 * m * e * text.EncoderMlpHidden;              // fc1 and fc2
        return (text.EncoderDepth * block) + (2 * m * e * d);     // blocks, then context_embed
    }
}
