using AdaDiff.Captions;
using AdaDiff.Engine.Text;

namespace AdaDiff.Captions.Tests;

public class CaptionVocabularyTests
{
    private static readonly PromptVocabulary Vocabulary = CaptionVocabulary.Build(Captions.Generator);
    private static readonly PromptTokenizer Tokenizer = new(Vocabulary);

    [Fact]
    public void EveryCaption_TokenizesWithoutUnknownOrTruncation()
    {
        int longest = 0;
        foreach (Caption caption in Captions.Every())
        {
            TokenizedPrompt tokens = Tokenizer.Encode(caption.Text);
            Assert.True(tokens.AllKnown, $"'{caption.Text}': unknown [{string.Join(", ", tokens.UnknownWords)}]");
            Assert.False(tokens.Truncated, $"'{caption.Text}' is {tokens.Words.Count + 2 + tokens.DroppedWords} tokens");
            longest = Math.Max(longest, tokens.Length);
        }
        Assert.Equal(17, longest); // the figure CaptionVocabulary.MaxTokens and the docs give
    }

    [Fact]
    public void EveryVocabularyWord_AppearsInSomeCaption()
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (Caption caption in Captions.Every())
        {
            used.UnionWith(PromptNormalizer.Split(caption.Text));
        }

        string[] words = [.. Vocabulary.Tokens.Skip(PromptVocabulary.SpecialTokens.Count)];
        string[] neverUsed = [.. words.Where(w => !used.Contains(w))];
        string[] notInVocabulary = [.. used.Where(w => !Vocabulary.TryGetId(w, out _))];
        Assert.True(neverUsed.Length == 0, $"words no caption uses (embedding rows training never sees): {string.Join(", ", neverUsed)}");
        Assert.True(notInVocabulary.Length == 0, $"caption words outside the vocabulary: {string.Join(", ", notInVocabulary)}");
    }

    [Fact]
    public void Build_FashionMnistClasses_FortyTokens()
    {
        Assert.Equal(40, Vocabulary.Count);
        Assert.Equal(CaptionVocabulary.MaxTokens, Vocabulary.MaxTokens);
        Assert.Equal(["[PAD]", "[UNK]", "[BOS]", "[EOS]"], Vocabulary.Tokens.Take(4));
        Assert.True(Vocabulary.TryGetId("ankle", out _));
        Assert.True(Vocabulary.TryGetId("/", out _));
        Assert.False(Vocabulary.TryGetId("ankle boot", out _)); // words, not phrases
    }

    [Fact]
    public void Build_SavedAndLoaded_SameTokensAndHash()
    {
        string dir = Directory.CreateTempSubdirectory("captions-vocab-").FullName;
        try
        {
            string path = Path.Combine(dir, PromptVocabulary.FileName);
            Vocabulary.Save(path);

            PromptVocabulary loaded = PromptVocabulary.Load(path);

            Assert.Equal(Vocabulary.Tokens, loaded.Tokens);
            Assert.Equal(Vocabulary.Sha256, loaded.Sha256);
            Assert.Equal(Tokenizer.Encode("a small dark ankle boot").Ids, new PromptTokenizer(loaded).Encode("a small dark ankle boot").Ids);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Encode_Caption_FramedAndPadded()
    {
        TokenizedPrompt tokens = Tokenizer.Encode("A small dark Ankle boot");

        Assert.Equal("[BOS] a small dark ankle boot [EOS] " + string.Join(' ', Enumerable.Repeat("[PAD]", 13)), Tokenizer.Decode(tokens.Ids));
        Assert.Equal(7, tokens.Length);
    }

    [FashionMnistFact]
    public void TrainingCaptions_TwoSeeds_AllKnownAllFit()
    {
        TrainingSetReport report = TrainingSet.Report;
        foreach (ulong seed in new ulong[] { 0, 1 })
        {
            for (int i = 0; i < report.Buckets.Length; i++)
            {
                Caption caption = Captions.Generator.Generate(report.Labels[i], report.Buckets[i], seed, i);
                TokenizedPrompt tokens = Tokenizer.Encode(caption.Text);
                if (!tokens.AllKnown || tokens.Truncated)
                {
                    Assert.Fail($"image {i}, seed {seed}: '{caption.Text}' unknown [{string.Join(", ", tokens.UnknownWords)}], dropped {tokens.DroppedWords}");
                }
            }
        }
    }
}
