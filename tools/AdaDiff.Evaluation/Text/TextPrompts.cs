using AdaDiff.Captions;
using AdaDiff.Engine;
using AdaDiff.Engine.Text;
using AdaDiff.Evaluation.Classifier;

namespace AdaDiff.Evaluation.Text;

/// <summary>
/// The prompts of a text model's evaluation: captions drawn (seeded) from the test split's labels and measured
/// attributes by the training captions' generator, so that the prompts are distributed as the data is, and
/// hand-written prompts for the grid, checked against the package's vocabulary.
/// </summary>
internal sealed class TextPrompts
{
    /// <summary>The grid's default prompts: classes, attributes and both, in the captions' words only.</summary>
    public static IReadOnlyList<string> DefaultGridPrompts { get; } =
    [
        "a small dark ankle boot",
        "something bright and wide",
        "a textured shirt",
        "a bright trouser",
        "a large grey pullover",
        "a tall dark dress",
        "a photo of a sneaker",
        "a bag that is wide and plain",
        "something small and textured",
        "a plain bright t-shirt",
    ];

    private readonly PromptTokenizer tokenizer;
    private readonly PromptParser parser;

    private TextPrompts(PromptTokenizer tokenizer, CaptionGenerator captions)
    {
        this.tokenizer = tokenizer;
        Captions = captions;
        parser = new PromptParser(captions.Classes);
    }

    /// <summary>The caption generator (the classifier's class names, as the training captions name them).</summary>
    public CaptionGenerator Captions { get; }

    /// <summary>The package's vocabulary.</summary>
    public PromptVocabulary Vocabulary => tokenizer.Vocabulary;

    /// <summary>
    /// The prompts of the text package in <paramref name="packageDir"/>: its <c>prompt-vocabulary.json</c>, which must
    /// match <paramref name="manifest"/>'s <c>text</c> and hold every word of the class names.
    /// </summary>
    /// <exception cref="InvalidDataException">The package is not a text model, or its vocabulary does not fit.</exception>
    public static TextPrompts ForPackage(string packageDir, ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.Conditioning != ConditioningKind.Text || manifest.Text is not TextConditioning text)
        {
            throw new InvalidDataException($"{packageDir}: a class-conditional model (model.json has no \"conditioning\": \"text\"); evaluate it with adadiff-tools eval --model {packageDir}");
        }
        string path = Path.Combine(packageDir, PromptVocabulary.FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: a text model's package carries its vocabulary beside model.json; this one has none", path);
        }
        PromptVocabulary vocabulary = PromptVocabulary.Load(path);
        if (vocabulary.Sha256 != text.VocabularySha256 || vocabulary.Count != text.VocabularySize || vocabulary.MaxTokens != text.MaxTokens)
        {
            throw new InvalidDataException(
                $"{path}: sha256 {vocabulary.Sha256}, {vocabulary.Count} tokens, {vocabulary.MaxTokens} a prompt; model.json says sha256 {text.VocabularySha256}, {text.VocabularySize} tokens, {text.MaxTokens} a prompt");
        }
        var captions = new CaptionGenerator(FashionClassifier.ClassNames);
        string[] missing = [.. captions.Words.Distinct(StringComparer.Ordinal).Where(w => !vocabulary.TryGetId(w, out _))];
        if (missing.Length > 0)
        {
            throw new InvalidDataException($"{path}: the vocabulary lacks the caption words {string.Join(", ", missing.Select(w => $"'{w}'"))}, so the model was not trained on Fashion-MNIST's captions");
        }
        return new TextPrompts(new PromptTokenizer(vocabulary), captions);
    }

    /// <summary>
    /// <paramref name="count"/> captions of distinct test images drawn with <paramref name="seed"/>: image
    /// <c>order[i]</c> of a seeded shuffle of the split, captioned from its label and <paramref name="buckets"/> as the
    /// training captions are (caption seed <paramref name="seed"/>).
    /// </summary>
    public List<EvalPrompt> Draw(int count, ulong seed, IReadOnlyList<byte> labels, IReadOnlyList<AttributeBuckets> buckets)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(buckets);
        if (count > labels.Count)
        {
            throw new ArgumentException($"--samples {count}: the test split has {labels.Count} images to caption");
        }
        int[] order = [.. Enumerable.Range(0, labels.Count)];
        new Random((int)(seed % int.MaxValue)).Shuffle(order);
        var prompts = new List<EvalPrompt>(count);
        for (int i = 0; i < count; i++)
        {
            int image = order[i];
            Caption caption = Captions.Generate(labels[image], buckets[image], seed, image);
            prompts.Add(new EvalPrompt(caption.Text, caption.Content, Encode(caption.Text, "caption"), image));
        }
        return prompts;
    }

    /// <summary>The caption of test image <paramref name="image"/> for <paramref name="seed"/>, tokenized (for the certainty probe).</summary>
    public int[] CaptionTokens(int image, byte label, AttributeBuckets buckets, ulong seed) =>
        Encode(Captions.Generate(label, buckets, seed, image).Text, "caption");

    /// <summary>
    /// A hand-written prompt: valid text, every word in the vocabulary, within <c>maxTokens</c>, and understood by the
    /// parser (a class, attributes, caption words) without naming a slot twice.
    /// </summary>
    /// <exception cref="ArgumentException">Names the prompt and what is wrong with it.</exception>
    public EvalPrompt HandWritten(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (PromptValidator.Check(prompt) is PromptViolation violation)
        {
            throw new ArgumentException($"--grid-prompts: '{prompt}' {violation.Message}");
        }
        ParsedPrompt parsed = parser.Parse(prompt);
        if (parsed.Unrecognized.Count > 0 || !tokenizer.Encode(prompt).AllKnown)
        {
            IEnumerable<string> unknown = parsed.Unrecognized.Concat(tokenizer.Encode(prompt).UnknownWords).Distinct(StringComparer.Ordinal);
            throw new ArgumentException(
                $"--grid-prompts: '{prompt}' has words outside the model's vocabulary: {string.Join(", ", unknown.Select(w => $"'{w}'"))}; its words are {string.Join(' ', Vocabulary.Tokens.Skip(PromptVocabulary.SpecialTokens.Count))}");
        }
        if (parsed.Conflicts.Count > 0)
        {
            throw new ArgumentException($"--grid-prompts: '{prompt}' names {string.Join("; ", parsed.Conflicts)}");
        }
        return new EvalPrompt(prompt, parsed.Content, Encode(prompt, "--grid-prompts"), null);
    }

    private int[] Encode(string text, string what)
    {
        TokenizedPrompt tokens = tokenizer.Encode(text);
        if (tokens.Truncated || !tokens.AllKnown)
        {
            throw new ArgumentException($"{what}: '{text}' does not fit the model's {Vocabulary.MaxTokens} tokens or vocabulary");
        }
        return tokens.Ids;
    }
}
