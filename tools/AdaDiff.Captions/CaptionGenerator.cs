using System.Text;
using AdaDiff.Engine.Sampling;

namespace AdaDiff.Captions;

/// <summary>
/// Captions for training images from their label and measured attributes, in several phrasings, with attributes
/// left out and the class sometimes replaced by "something" or "a garment". A caption depends only on (image
/// index, seed) and the image's label and buckets: the same call gives the same caption on any machine, in any
/// order, so a training run can draw a fresh caption per epoch (seed + epoch) and be resumed.
/// </summary>
/// <remarks>
/// <para>Per caption, with the image's random numbers (<see cref="ImageRandom"/> seeded from seed and index), nine
/// uniforms are drawn in this order, whatever is used: class named (p = <see cref="ClassNamedProbability"/>);
/// brightness, size, aspect and texture kept (each p = <see cref="AttributeProbability"/>); which attribute to keep
/// when a caption without a class would name none; the template among those that fit; the class's phrase; the
/// order of the attributes in a list ("something bright and wide", "something wide and bright"). Adjectives before
/// a noun keep English order (<see cref="PromptContent.AttributeWordsInOrder"/>); lists take any order, so the text
/// encoder learns the words, not their places.</para>
/// </remarks>
public sealed class CaptionGenerator
{
    /// <summary>Chance that a caption names the class (otherwise "something", "a garment").</summary>
    public const double ClassNamedProbability = 0.8;

    /// <summary>Chance that a caption names each attribute.</summary>
    public const double AttributeProbability = 0.5;

    /// <summary>The words of the templates themselves (articles, "photo of", "that is", list glue).</summary>
    public static IReadOnlyList<string> TemplateWords { get; } =
        ["a", "an", "photo", "picture", "of", "something", "garment", "that", "is", "and", ","];

    private static readonly CaptionTemplate[] WithClass =
        [CaptionTemplate.Article, CaptionTemplate.PhotoOf, CaptionTemplate.PictureOf, CaptionTemplate.Bare, CaptionTemplate.ThatIs];

    private static readonly CaptionTemplate[] WithClassNoAttributes =
        [CaptionTemplate.Article, CaptionTemplate.PhotoOf, CaptionTemplate.PictureOf, CaptionTemplate.Bare];

    private static readonly CaptionTemplate[] WithoutClass =
        [CaptionTemplate.Something, CaptionTemplate.PhotoOfSomething, CaptionTemplate.Garment];

    /// <summary>A generator naming classes by <paramref name="classNames"/> (the model manifest's classNames).</summary>
    public CaptionGenerator(IReadOnlyList<string> classNames)
    {
        Classes = new ClassPhrases(classNames);
    }

    /// <summary>How each class is named.</summary>
    public ClassPhrases Classes { get; }

    /// <summary>Every word a caption of this generator can hold, as the tokenizer splits them (repeats possible).</summary>
    public IEnumerable<string> Words => TemplateWords.Concat(AttributeWords.All).Concat(Classes.Words);

    /// <summary>The caption of image <paramref name="imageIndex"/> for <paramref name="seed"/>.</summary>
    /// <param name="classIndex">The image's label.</param>
    /// <param name="buckets">Its attribute words (<see cref="AttributeThresholds.Classify"/>).</param>
    /// <param name="seed">The caption seed (vary it per epoch for fresh captions).</param>
    /// <param name="imageIndex">The image's index in its split.</param>
    public Caption Generate(int classIndex, AttributeBuckets buckets, ulong seed, long imageIndex)
    {
        CheckClass(classIndex);
        var random = new ImageRandom(unchecked((seed * 0x9E3779B97F4A7C15UL) + (ulong)imageIndex));
        Span<double> u = stackalloc double[9];
        for (int i = 0; i < u.Length; i++)
        {
            u[i] = random.NextDouble();
        }
        bool named = u[0] < ClassNamedProbability;
        bool[] keep = [u[1] < AttributeProbability, u[2] < AttributeProbability, u[3] < AttributeProbability, u[4] < AttributeProbability];
        if (!named && !keep.Contains(true))
        {
            keep[(int)(u[5] * keep.Length)] = true; // "something" alone says nothing
        }
        var content = new PromptContent(
            ClassIndex: named ? classIndex : null,
            Brightness: keep[0] ? buckets.Brightness : null,
            Size: keep[1] ? buckets.Size : null,
            Aspect: keep[2] ? buckets.Aspect : null,
            Texture: keep[3] ? buckets.Texture : null);
        CaptionTemplate[] choices = !named ? WithoutClass : content.AttributeCount == 0 ? WithClassNoAttributes : WithClass;
        CaptionTemplate template = choices[(int)(u[6] * choices.Length)];
        int phrase = named ? (int)(u[7] * Classes.Of(classIndex).Count) : 0;
        int order = IsList(template) ? (int)(u[8] * Orders(content.AttributeCount)) : 0;
        return Render(template, content, phrase, order);
    }

    /// <summary>Whether <paramref name="template"/> can say <paramref name="content"/>.</summary>
    public static bool Fits(CaptionTemplate template, PromptContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        return template switch
        {
            CaptionTemplate.Article or CaptionTemplate.PhotoOf or CaptionTemplate.PictureOf or CaptionTemplate.Bare => content.ClassIndex is not null,
            CaptionTemplate.ThatIs => content.ClassIndex is not null && content.AttributeCount > 0,
            CaptionTemplate.Something or CaptionTemplate.PhotoOfSomething or CaptionTemplate.Garment => content.ClassIndex is null && content.AttributeCount > 0,
            _ => false,
        };
    }

    /// <summary>Whether <paramref name="template"/> lists the attributes after the noun ("that is …", "something …"), where <c>order</c> applies.</summary>
    public static bool IsList(CaptionTemplate template) =>
        template is CaptionTemplate.ThatIs or CaptionTemplate.Something or CaptionTemplate.PhotoOfSomething;

    /// <summary>Orders of <paramref name="attributes"/> listed words: attributes! (1, 1, 2, 6, 24).</summary>
    public static int Orders(int attributes)
    {
        int n = 1;
        for (int k = 2; k <= attributes; k++)
        {
            n *= k;
        }
        return n;
    }

    /// <summary>
    /// Writes <paramref name="content"/> in <paramref name="template"/>, naming the class by its phrase
    /// <paramref name="phrase"/> and, in a list template, the attributes in permutation <paramref name="order"/>
    /// (0..<see cref="Orders"/>(attributes) − 1 of English order; 0 keeps it).
    /// </summary>
    /// <exception cref="ArgumentException">The template cannot say the content (<see cref="Fits"/>).</exception>
    public Caption Render(CaptionTemplate template, PromptContent content, int phrase = 0, int order = 0)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!Fits(template, content))
        {
            throw new ArgumentException($"template {template} cannot say {content}", nameof(template));
        }
        string noun = "";
        if (content.ClassIndex is int c)
        {
            CheckClass(c);
            IReadOnlyList<string> phrases = Classes.Of(c);
            ArgumentOutOfRangeException.ThrowIfNegative(phrase);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(phrase, phrases.Count);
            noun = phrases[phrase];
        }
        List<string> adjectives = content.AttributeWordsInOrder();
        string adjs = string.Join(' ', adjectives);
        ArgumentOutOfRangeException.ThrowIfNegative(order);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(order, IsList(template) ? Orders(adjectives.Count) : 1);
        if (order > 0)
        {
            adjectives = Permute(adjectives, order);
        }
        string text = template switch
        {
            CaptionTemplate.Article => WithArticle(Join(adjs, noun)),
            CaptionTemplate.PhotoOf => "a photo of " + WithArticle(Join(adjs, noun)),
            CaptionTemplate.PictureOf => "a picture of " + WithArticle(Join(adjs, noun)),
            CaptionTemplate.Bare => Join(adjs, noun),
            CaptionTemplate.ThatIs => WithArticle(noun) + " that is " + List(adjectives),
            CaptionTemplate.Something => "something " + List(adjectives),
            CaptionTemplate.PhotoOfSomething => "a photo of something " + List(adjectives),
            CaptionTemplate.Garment => WithArticle(Join(adjs, "garment")),
            _ => throw new ArgumentOutOfRangeException(nameof(template), template, null),
        };
        return new Caption(text, template, content);
    }

    private void CheckClass(int classIndex)
    {
        if ((uint)classIndex >= (uint)Classes.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(classIndex), classIndex, $"classes are 0..{Classes.Count - 1}");
        }
    }

    private static string Join(string adjectives, string noun) => adjectives.Length == 0 ? noun : adjectives + " " + noun;

    private static string WithArticle(string phrase) => ("aeiou".Contains(phrase[0], StringComparison.Ordinal) ? "an " : "a ") + phrase;

    // Permutation number `order` of `words` (Lehmer code: its digits pick which remaining word comes next).
    private static List<string> Permute(List<string> words, int order)
    {
        var left = new List<string>(words);
        var result = new List<string>(words.Count);
        for (int k = words.Count; k > 0; k--)
        {
            int factorial = Orders(k - 1);
            int pick = order / factorial;
            order %= factorial;
            result.Add(left[pick]);
            left.RemoveAt(pick);
        }
        return result;
    }

    // "small", "small and dark", "small, wide and dark", "small, wide, textured and dark".
    private static string List(List<string> words)
    {
        var text = new StringBuilder(words[0]);
        for (int i = 1; i < words.Count; i++)
        {
            text.Append(i == words.Count - 1 ? " and " : ", ").Append(words[i]);
        }
        return text.ToString();
    }
}
