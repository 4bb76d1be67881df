namespace AdaDiff.Engine;

/// <summary>What a model's rows are conditioned on (<see cref="ModelManifest.Conditioning"/>; model.json <c>"conditioning"</c>).</summary>
public enum ConditioningKind
{
    /// <summary>A class label per row (or none, for a model without classes); <see cref="ModelManifest.NullClass"/> is the unconditional row.</summary>
    Class,

    /// <summary>A prompt's token ids per row (<see cref="TextConditioning.MaxTokens"/> of them); all padding is the unconditional row.</summary>
    Text,
}
