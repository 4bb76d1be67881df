using AdaDiff.Captions;
using AdaDiff.Engine.Text;

namespace AdaDiff.Tools;

/// <summary>
/// The text model's condition: a caption of each image, from its label and the attributes measured on its pixels
/// (<see cref="ImageAttributes"/>, bucketed by <see cref="AttributeThresholds.FashionMnist"/>), phrased and with
/// attributes left out as <see cref="CaptionGenerator"/> draws them for the caption seed of the epoch
/// (<see cref="CaptionSeed"/>), then tokenised to the vocabulary's MaxTokens. The generator keeps no state: the seed
/// and the epoch are all a resumed run needs to write the same captions.
/// </summary>
internal sealed class CaptionConditions : ITrainingConditions
{
    private readonly CaptionGenerator generator;
    private readonly PromptTokenizer tokenizer;
    private readonly AttributeBuckets[] buckets;
    private readonly int seed;

    /// <param name="generator">The captions' class phrases (the model's class names).</param>
    /// <param name="vocabulary">The package's prompt vocabulary; every caption word must be in it.</param>
    /// <param name="images">The training split, as bytes (what the attributes are measured on).</param>
    /// <param name="seed">The run's seed, from which each epoch's caption seed comes.</param>
    public CaptionConditions(CaptionGenerator generator, PromptVocabulary vocabulary, FashionMnistImages images, int seed)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(images);
        this.generator = generator;
        tokenizer = new PromptTokenizer(vocabulary);
        this.seed = seed;
        RowShape = [vocabulary.MaxTokens];
        buckets = new AttributeBuckets[images.Count];
        for (int i = 0; i < buckets.Length; i++)
        {
            buckets[i] = AttributeThresholds.FashionMnist.Classify(ImageAttributes.Measure(images.Image(i), FashionMnistImages.Side, FashionMnistImages.Side));
        }
    }

    public long[] RowShape { get; }

    public int Width => (int)RowShape[0];

    public long NullValue => PromptVocabulary.PadId;

    /// <summary>The caption seed of <paramref name="epoch"/>: the run's seed in the high 32 bits, the epoch in the low ones.</summary>
    public static ulong CaptionSeed(int seed, long epoch) => ((ulong)(uint)seed << 32) | (uint)epoch;

    /// <summary>The caption of image <paramref name="imageIndex"/> (label <paramref name="label"/>) in <paramref name="epoch"/>.</summary>
    public Caption CaptionOf(long epoch, int imageIndex, long label) =>
        generator.Generate((int)label, buckets[imageIndex], CaptionSeed(seed, epoch), imageIndex);

    public void Fill(long epoch, ReadOnlySpan<int> imageIndices, ReadOnlySpan<long> labels, Span<long> rows)
    {
        int width = Width;
        for (int i = 0; i < imageIndices.Length; i++)
        {
            Caption caption = CaptionOf(epoch, imageIndices[i], labels[i]);
            TokenizedPrompt prompt = tokenizer.Encode(caption.Text);
            if (!prompt.AllKnown || prompt.Truncated)
            {
                throw new InvalidOperationException($"caption '{caption.Text}' of image {imageIndices[i]} does not fit the prompt vocabulary "
                    + $"({(prompt.AllKnown ? $"{prompt.DroppedWords} words over {tokenizer.Vocabulary.MaxTokens} tokens" : "unknown: " + string.Join(", ", prompt.UnknownWords))})");
            }
            Span<long> row = rows.Slice(i * width, width);
            for (int k = 0; k < width; k++)
            {
                row[k] = prompt.Ids[k];
            }
        }
    }
}
