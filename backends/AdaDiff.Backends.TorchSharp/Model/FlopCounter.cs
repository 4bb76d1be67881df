using AdaDiff.Engine;

namespace AdaDiff.Backends.TorchSharp.Model;

/// <summary>
/// Per-image FLOPs of a U-ViT with exits (multiply-add = 2). Counts matrix products and convolutions,
/// which are over 98% of the work; layer norms, softmax, GELU and additions are left out.
/// </summary>
public static class FlopCounter
{
    /// <summary>FLOPs of each stage for one image.</summary>
    public static FlopCounts Count(UViTConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        double d = config.EmbedDim, t = config.Tokens, n = config.PatchTokens, patchDim = config.PatchDim;
        double embed = 2 * n * patchDim * d;                      // p×p stride-p conv = per-patch Linear(p²C → D)
        double attention = 2 * t * d * (3 * d)                    // qkv
            + 2 * 2 * t * t * d                                   // QKᵀ and AV over all heads
            + 2 * t * d * d;                                      // proj
        double mlp = 2 * 2 * t * d * config.MlpHidden;            // fc1 and fc2
        double skip = 2 * t * (2 * d) * d;                        // skip_linear on cat[x, skip]
        var perLayer = new double[config.Depth];
        for (int i = 0; i < perLayer.Length; i++)
        {
            perLayer[i] = attention + mlp + (i > config.Depth / 2 ? skip : 0);
        }
        double uem = 2 * n * (2 * d) * patchDim;
        double head = 2 * n * d * patchDim                        // decoder_pred on patch tokens
            + 2 * config.Height * config.Width * (double)config.Channels * config.Channels * 9; // 3×3 final conv
        return new FlopCounts { Embed = embed, PerLayer = perLayer, Uem = uem, Head = head };
    }
}
