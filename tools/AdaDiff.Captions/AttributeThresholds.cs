namespace AdaDiff.Captions;

/// <summary>
/// Where each attribute's words begin: a value below <c>…Low</c> takes the first word, one at or above
/// <c>…High</c> the last, one between the middle word; texture has one split, <see cref="TextureMedian"/>.
/// </summary>
/// <remarks>
/// The thresholds are the training set's terciles (brightness, coverage, aspect) and median (texture), each
/// rounded to two decimals, and then frozen in <see cref="FashionMnist"/>: captions, and the scores of generated
/// images against them, must not move when the code that measures them is rebuilt. <see cref="FromTrainingSet"/>
/// recomputes them; the tests check that it reproduces the frozen values from the Fashion-MNIST training split.
/// </remarks>
/// <param name="BrightnessLow">Mean ink intensity below which an image is dark.</param>
/// <param name="BrightnessHigh">Mean ink intensity from which an image is bright.</param>
/// <param name="CoverageLow">Fraction of the frame below which a garment is small.</param>
/// <param name="CoverageHigh">Fraction of the frame from which a garment is large.</param>
/// <param name="AspectLow">Width-to-height ratio below which a garment is tall.</param>
/// <param name="AspectHigh">Width-to-height ratio from which a garment is wide.</param>
/// <param name="TextureMedian">Mean absolute Laplacian of the inside from which a garment is textured.</param>
public sealed record AttributeThresholds(
    double BrightnessLow, double BrightnessHigh,
    double CoverageLow, double CoverageHigh,
    double AspectLow, double AspectHigh,
    double TextureMedian)
{
    /// <summary>
    /// The thresholds of the Fashion-MNIST training split (60,000 images), frozen. Terciles before rounding:
    /// brightness 0.5635 and 0.7193, coverage 0.3648 and 0.5421, aspect 0.7143 (20/28) and 1.0769 (28/26); texture
    /// median 0.2641.
    /// </summary>
    public static AttributeThresholds FashionMnist { get; } = new(
        BrightnessLow: 0.56, BrightnessHigh: 0.72,
        CoverageLow: 0.36, CoverageHigh: 0.54,
        AspectLow: 0.71, AspectHigh: 1.08,
        TextureMedian: 0.26);

    /// <summary>The words of <paramref name="attributes"/>.</summary>
    public AttributeBuckets Classify(ImageAttributes attributes) => new(
        Brightness: (Brightness)Bucket(attributes.Brightness, BrightnessLow, BrightnessHigh),
        Size: (GarmentSize)Bucket(attributes.Coverage, CoverageLow, CoverageHigh),
        Aspect: (Aspect)Bucket(attributes.Aspect, AspectLow, AspectHigh),
        Texture: attributes.Texture >= TextureMedian ? Texture.Textured : Texture.Plain);

    /// <summary>
    /// Terciles and median of a training set's attributes (linear interpolation between order statistics, as
    /// numpy's default quantile), rounded to two decimals: the rule that produced <see cref="FashionMnist"/>.
    /// </summary>
    public static AttributeThresholds FromTrainingSet(IReadOnlyList<ImageAttributes> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes.Count == 0)
        {
            throw new ArgumentException("no images", nameof(attributes));
        }
        AttributeQuantiles q = AttributeQuantiles.Of(attributes);
        return new(
            Round(q.Brightness.Tercile1), Round(q.Brightness.Tercile2),
            Round(q.Coverage.Tercile1), Round(q.Coverage.Tercile2),
            Round(q.Aspect.Tercile1), Round(q.Aspect.Tercile2),
            Round(q.Texture.Median));
    }

    private static double Round(double value) => Math.Round(value, 2, MidpointRounding.AwayFromZero);

    private static int Bucket(double value, double low, double high) => value < low ? 0 : value >= high ? 2 : 1;
}
