namespace AdaDiff.Captions;

/// <summary>
/// The word of each attribute bucket, as captions write it and prompts name it. The middle buckets have words too
/// ("grey", "medium", "square"), so a caption that names an attribute always says where the image falls.
/// </summary>
public static class AttributeWords
{
    /// <summary>"dark", "grey" or "bright".</summary>
    public static string Of(Brightness value) => value switch
    {
        Brightness.Dark => "dark",
        Brightness.Grey => "grey",
        Brightness.Bright => "bright",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, null),
    };

    /// <summary>"small", "medium" or "large".</summary>
    public static string Of(GarmentSize value) => value switch
    {
        GarmentSize.Small => "small",
        GarmentSize.Medium => "medium",
        GarmentSize.Large => "large",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, null),
    };

    /// <summary>"tall", "square" or "wide".</summary>
    public static string Of(Aspect value) => value switch
    {
        Aspect.Tall => "tall",
        Aspect.Square => "square",
        Aspect.Wide => "wide",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, null),
    };

    /// <summary>"plain" or "textured".</summary>
    public static string Of(Texture value) => value switch
    {
        Texture.Plain => "plain",
        Texture.Textured => "textured",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, null),
    };

    /// <summary>Every attribute word, brightness, size, aspect, texture, each in bucket order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        .. Enum.GetValues<Brightness>().Select(Of),
        .. Enum.GetValues<GarmentSize>().Select(Of),
        .. Enum.GetValues<Aspect>().Select(Of),
        .. Enum.GetValues<Texture>().Select(Of),
    ];
}
