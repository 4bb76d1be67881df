namespace AdaDiff.Captions;

/// <summary>
/// The phrasings of a caption. "{a}" is "a" or "an" as the next word needs, "{adjs}" the named attributes in
/// <see cref="PromptContent.AttributeWordsInOrder"/> order, "{list}" the same joined with commas and "and".
/// </summary>
public enum CaptionTemplate
{
    /// <summary>"{a} {adjs} {class}": "a small dark ankle boot", "an ankle boot".</summary>
    Article,

    /// <summary>"a photo of {a} {adjs} {class}": "a photo of a tall dress".</summary>
    PhotoOf,

    /// <summary>"a picture of {a} {adjs} {class}": "a picture of a grey coat".</summary>
    PictureOf,

    /// <summary>"{adjs} {class}": "wide bag", "sneaker".</summary>
    Bare,

    /// <summary>"{a} {class} that is {list}", at least one attribute: "a coat that is large and bright".</summary>
    ThatIs,

    /// <summary>"something {list}", no class, at least one attribute: "something bright and wide".</summary>
    Something,

    /// <summary>"a photo of something {list}", no class, at least one attribute.</summary>
    PhotoOfSomething,

    /// <summary>"{a} {adjs} garment", no class, at least one attribute: "a small dark garment".</summary>
    Garment,
}
