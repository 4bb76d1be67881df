using AdaDiff.Engine.Text;

namespace AdaDiff.Engine.Tests.Text;

public class PromptTokenizerTests
{
    private static readonly PromptTokenizer Tokenizer = new(PromptVocabulary.Create(
        ["a", "small", "dark", "ankle", "boot", "t", "-", "shirt", "/", "top", ",", "and", "wide"], maxTokens: 8));

    private static int Id(string word) => Tokenizer.Vocabulary.TryGetId(word, out int id) ? id : throw new KeyNotFoundException(word);

    [Fact]
    public void Encode_KnownWords_BosWordsEosPadding()
    {
        TokenizedPrompt t = Tokenizer.Encode("A small dark ankle boot");

        Assert.Equal([2, Id("a"), Id("small"), Id("dark"), Id("ankle"), Id("boot"), 3, 0], t.Ids);
        Assert.Equal(7, t.Length);
        Assert.Equal(["a", "small", "dark", "ankle", "boot"], t.Words);
        Assert.False(t.Truncated);
        Assert.True(t.AllKnown);
        Assert.Equal("[BOS] a small dark ankle boot [EOS] [PAD]", Tokenizer.Decode(t.Ids));
    }

    [Fact]
    public void Encode_NormalisesLikeTheVocabulary()
    {
        Assert.Equal(Tokenizer.Encode("t - shirt / top").Ids, Tokenizer.Encode("Ｔ-Shirt/TOP").Ids);
    }

    [Fact]
    public void Encode_UnknownWords_BecomeUnkAndAreListed()
    {
        TokenizedPrompt t = Tokenizer.Encode("a tiny boot!");

        Assert.Equal([2, Id("a"), PromptVocabulary.UnknownId, Id("boot"), PromptVocabulary.UnknownId, 3, 0, 0], t.Ids);
        Assert.Equal(["tiny", "!"], t.UnknownWords);
        Assert.False(t.AllKnown);
    }

    [Fact]
    public void Encode_TooManyWords_KeepsTheFirstAndEndsWithEos()
    {
        TokenizedPrompt t = Tokenizer.Encode("a small, wide and dark ankle boot"); // 8 words, room for 6

        Assert.Equal("[BOS] a small , wide and dark [EOS]", Tokenizer.Decode(t.Ids));
        Assert.Equal(8, t.Length);
        Assert.Equal(2, t.DroppedWords);
        Assert.True(t.Truncated);
        Assert.Equal(["a", "small", ",", "wide", "and", "dark"], t.Words);
    }

    [Fact]
    public void Encode_ExactlyFits_NotTruncated()
    {
        TokenizedPrompt t = Tokenizer.Encode("a small , wide and dark");

        Assert.False(t.Truncated);
        Assert.Equal(8, t.Length);
    }

    [Fact]
    public void EncodeEmpty_IsBosEosAndPadding_NotTheAllPaddingUnconditionalRow()
    {
        TokenizedPrompt t = Tokenizer.EncodeEmpty();

        Assert.Equal([2, 3, 0, 0, 0, 0, 0, 0], t.Ids);
        Assert.Equal(2, t.Length);
        Assert.Equal(t.Ids, Tokenizer.Encode("   ").Ids);
    }

    [Fact]
    public void Encode_SameText_FreshIdsEachTime()
    {
        TokenizedPrompt first = Tokenizer.Encode("a boot");
        first.Ids[1] = 99;

        Assert.Equal(Id("a"), Tokenizer.Encode("a boot").Ids[1]);
    }

    [Fact]
    public void Decode_IdOutsideVocabulary_Throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([2, 99]));
        Assert.Contains("id 99 at 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_AfterSaveAndLoad_SameIds()
    {
        string path = Path.Combine(Path.GetTempPath(), $"prompt-vocab-{Guid.NewGuid():N}.json");
        try
        {
            Tokenizer.Vocabulary.Save(path);
            var loaded = new PromptTokenizer(PromptVocabulary.Load(path));

            Assert.Equal(Tokenizer.Encode("a small dark t-shirt").Ids, loaded.Encode("a small dark t-shirt").Ids);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
