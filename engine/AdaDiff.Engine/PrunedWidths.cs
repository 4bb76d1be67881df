namespace AdaDiff.Engine;

/// <summary>
/// The widths a structurally pruned U-ViT keeps in each denoiser layer: attention heads (each of the unpruned head
/// width D / numHeads) and MLP hidden channels. Absent from a manifest, every layer has numHeads heads and
/// MlpRatio × D channels. The text encoder, the embedding, the head and the UEMs are never pruned.
/// </summary>
public sealed record PrunedWidths
{
    /// <summary>Heads kept per layer (depth entries, each 1..numHeads).</summary>
    public required int[] Heads { get; init; }

    /// <summary>MLP hidden channels kept per layer (depth entries, each 1..MlpRatio × D).</summary>
    public required int[] MlpHidden { get; init; }

    /// <summary>What is wrong with these widths for a model of <paramref name="depth"/> layers; null when nothing is.</summary>
    public string? Problem(int depth, int numHeads, int mlpHidden)
    {
        if (Heads is null || MlpHidden is null || Heads.Length != depth || MlpHidden.Length != depth)
        {
            return $"pruning.heads and pruning.mlpHidden must have depth ({depth}) entries";
        }
        int layer = Array.FindIndex(Heads, h => h < 1 || h > numHeads);
        if (layer >= 0)
        {
            return $"pruning.heads[{layer}] is {Heads[layer]}; a layer keeps 1..numHeads ({numHeads}) heads";
        }
        layer = Array.FindIndex(MlpHidden, h => h < 1 || h > mlpHidden);
        return layer >= 0 ? $"pruning.mlpHidden[{layer}] is {MlpHidden[layer]}; a layer keeps 1..{mlpHidden} MLP channels" : null;
    }

    /// <inheritdoc/>
    public bool Equals(PrunedWidths? other) =>
        other is not null && Heads.AsSpan().SequenceEqual(other.Heads) && MlpHidden.AsSpan().SequenceEqual(other.MlpHidden);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Heads.Length, Heads.Sum(), MlpHidden.Sum());
}
