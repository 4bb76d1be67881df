using AdaDiff.Engine.Backends;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// What one fused graph runs, in order: the embedding (optional, then <see cref="First"/> is 0), layers
/// <see cref="First"/> .. <see cref="First"/> + <see cref="Layers"/> − 1, and at the last of them the UEM certainty or
/// the shared head (optional, not both). Long skips are numbered by the in-block that pushes them (skip k is in-block
/// k's output, popped by layer depth − 1 − k): a range takes the skips it pops that were pushed before it and gives
/// back the skips it pushes that outlive it, except the one that is its own output.
/// </summary>
/// <remarks>
/// Graph signature (B rows, T tokens, D width): inputs x [B, C, H, W], t [B], y [B] (int64, class-conditional only)
/// with the embedding, else hidden [B, T, D]; skip_k [B, T, D] for each of <see cref="SkipInputs"/>; temb [B, D] when
/// the UEM runs without the embedding. Outputs out [B, T, D] (not with the head), temb [B, D] (with the embedding,
/// not with the head), skip_k [B, T, D] for each of <see cref="SkipOutputs"/>, certainty [B] with the UEM,
/// eps [B, C, H, W] with the head.
/// </remarks>
internal readonly record struct FusedStage(bool Embed, int First, int Layers, bool Certainty, bool Head)
{
    /// <summary>embed → layers 0..layers−1.</summary>
    public static FusedStage EmbedRange(int layers) => new(true, 0, layers, false, false);

    /// <summary>layers first..first+layers−1.</summary>
    public static FusedStage Range(int first, int layers) => new(false, first, layers, false, false);

    /// <summary>layer and its UEM certainty.</summary>
    public static FusedStage LayerWithCertainty(int layer) => new(false, layer, 1, true, false);

    /// <summary>embed → layers 0..layers−1 → head.</summary>
    public static FusedStage AtDepth(int layers) => new(true, 0, layers, false, true);

    /// <summary>One past the last layer run.</summary>
    public int End => First + Layers;

    /// <summary>Graph name, e.g. "embed+layers_00-05+head".</summary>
    public string Name =>
        $"{(Embed ? "embed+" : "")}{(Layers == 1 ? $"layer_{First:D2}" : $"layers_{First:D2}-{End - 1:D2}")}{(Certainty ? "+uem" : "")}{(Head ? "+head" : "")}";

    /// <summary>Skips the range pops that were pushed before it (in-block indexes, in the order they are popped).</summary>
    public int[] SkipInputs(UViTTopology topology)
    {
        var inputs = new List<int>();
        for (int layer = Math.Max(First, topology.MidLayer + 1); layer < End; layer++)
        {
            int pushedBy = topology.SkipPoppedBy(layer);
            if (pushedBy < First)
            {
                inputs.Add(pushedBy);
            }
        }
        return [.. inputs];
    }

    /// <summary>Skips the range pushes that outlive it (in-block indexes, ascending), the range's own output excepted.</summary>
    public int[] SkipOutputs(UViTTopology topology)
    {
        var outputs = new List<int>();
        for (int k = First; k < Math.Min(End, topology.InBlocks); k++)
        {
            if (topology.Depth - 1 - k >= End && k != End - 1)
            {
                outputs.Add(k);
            }
        }
        return [.. outputs];
    }

    /// <summary>Name of skip <paramref name="k"/> in a graph's signature.</summary>
    public static string SkipName(int k) => $"skip_{k:D2}";

    /// <summary>Throws unless the stage is one a graph can be built for on a network of <paramref name="depth"/> layers.</summary>
    public void Check(int depth)
    {
        if (Layers < 1 || First < 0 || End > depth || (Embed && First != 0) || (Certainty && Head))
        {
            throw new InvalidOperationException($"no fused stage {this} on {depth} layers");
        }
    }
}
