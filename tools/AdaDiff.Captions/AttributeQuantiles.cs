namespace AdaDiff.Captions;

/// <summary>The distribution of each attribute over a set of images: what the thresholds are chosen from and what the docs report.</summary>
/// <param name="Brightness">Of <see cref="ImageAttributes.Brightness"/>.</param>
/// <param name="Coverage">Of <see cref="ImageAttributes.Coverage"/>.</param>
/// <param name="Aspect">Of <see cref="ImageAttributes.Aspect"/>.</param>
/// <param name="Texture">Of <see cref="ImageAttributes.Texture"/>.</param>
public sealed record AttributeQuantiles(Quantiles Brightness, Quantiles Coverage, Quantiles Aspect, Quantiles Texture)
{
    /// <summary>The quantiles of each attribute over <paramref name="attributes"/> (at least one image).</summary>
    public static AttributeQuantiles Of(IReadOnlyList<ImageAttributes> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var brightness = new double[attributes.Count];
        var coverage = new double[attributes.Count];
        var aspect = new double[attributes.Count];
        var texture = new double[attributes.Count];
        for (int i = 0; i < attributes.Count; i++)
        {
            brightness[i] = attributes[i].Brightness;
            coverage[i] = attributes[i].Coverage;
            aspect[i] = attributes[i].Aspect;
            texture[i] = attributes[i].Texture;
        }
        return new(Quantiles.Of(brightness), Quantiles.Of(coverage), Quantiles.Of(aspect), Quantiles.Of(texture));
    }
}
