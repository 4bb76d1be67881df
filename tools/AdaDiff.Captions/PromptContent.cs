namespace AdaDiff.Captions;

/// <summary>What a caption or a prompt names: a class and any of the four attributes, each null when not named.</summary>
/// <param name="ClassIndex">Index into the model's class names, or null for "something", "a garment".</param>
/// <param name="Brightness">Dark, grey or bright, if named.</param>
/// <param name="Size">Small, medium or large, if named.</param>
/// <param name="Aspect">Tall, square or wide, if named.</param>
/// <param name="Texture">Plain or textured, if named.</param>
public sealed record PromptContent(
    int? ClassIndex = null, Brightness? Brightness = null, GarmentSize? Size = null, Aspect? Aspect = null, Texture? Texture = null)
{
    /// <summary>Attributes named (0..4).</summary>
    public int AttributeCount => (Brightness is null ? 0 : 1) + (Size is null ? 0 : 1) + (Aspect is null ? 0 : 1) + (Texture is null ? 0 : 1);

    /// <summary>True when it names nothing at all.</summary>
    public bool IsEmpty => ClassIndex is null && AttributeCount == 0;

    /// <summary>
    /// The attribute words in caption order: size, aspect, texture, brightness ("a small wide textured dark
    /// sandal", the order English puts size, shape, pattern and colour in).
    /// </summary>
    public List<string> AttributeWordsInOrder()
    {
        var words = new List<string>(4);
        if (Size is { } size)
        {
            words.Add(AttributeWords.Of(size));
        }
        if (Aspect is { } aspect)
        {
            words.Add(AttributeWords.Of(aspect));
        }
        if (Texture is { } texture)
        {
            words.Add(AttributeWords.Of(texture));
        }
        if (Brightness is { } brightness)
        {
            words.Add(AttributeWords.Of(brightness));
        }
        return words;
    }

    /// <summary>
    /// Whether an image of class <paramref name="classIndex"/> with <paramref name="buckets"/> has everything this
    /// names (what a generated image is scored on); a null class index is "unknown" and only matches a prompt
    /// that names no class.
    /// </summary>
    public bool IsMetBy(int? classIndex, AttributeBuckets buckets) =>
        (ClassIndex is null || ClassIndex == classIndex)
        && (Brightness is null || Brightness == buckets.Brightness)
        && (Size is null || Size == buckets.Size)
        && (Aspect is null || Aspect == buckets.Aspect)
        && (Texture is null || Texture == buckets.Texture);
}
