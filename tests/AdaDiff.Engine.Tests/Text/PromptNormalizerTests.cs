using AdaDiff.Engine.Text;

namespace AdaDiff.Engine.Tests.Text;

public class PromptNormalizerTests
{
    [Theory]
    [InlineData("a small dark ankle boot", new[] { "a", "small", "dark", "ankle", "boot" })]
    [InlineData("  A   Small\u00A0DARK  ", new[] { "a", "small", "dark" })] // any white space separates, case folds
    [InlineData("T-shirt/top", new[] { "t", "-", "shirt", "/", "top" })] // hyphens and slashes are words of their own
    [InlineData("small, wide and dark.", new[] { "small", ",", "wide", "and", "dark", "." })]
    [InlineData("ＢＯＯＴ", new[] { "boot" })] // NFKC folds full-width forms
    [InlineData("ﬁne", new[] { "fine" })] // and ligatures
    [InlineData("a ½ boot", new[] { "a", "1", "⁄", "2", "boot" })] // and vulgar fractions, into digits and a fraction slash
    [InlineData("size 42 boots", new[] { "size", "42", "boots" })]
    [InlineData("caf\u0065\u0301", new[] { "café" })] // e + combining acute composes and stays in the word
    [InlineData("boot👢", new[] { "boot", "👢" })]
    [InlineData("don't", new[] { "don", "'", "t" })]
    [InlineData("", new string[0])]
    [InlineData("   ", new string[0])]
    public void Split_Prompts_Words(string text, string[] expected) => Assert.Equal(expected, PromptNormalizer.Split(text));

    [Fact]
    public void Split_LoneSurrogate_IsAWordOfItsOwn() =>
        Assert.Equal(["a", "\uD83D", "b"], PromptNormalizer.Split("a\uD83Db"));

    [Theory]
    [InlineData("boot", true)]
    [InlineData("-", true)]
    [InlineData("Boot", false)] // not lower case
    [InlineData("ankle boot", false)] // two words
    [InlineData("t-shirt", false)]
    [InlineData("ＢＯＯＴ", false)]
    [InlineData("", false)]
    public void IsNormalWord_OnlyWhatSplitProduces(string word, bool expected) => Assert.Equal(expected, PromptNormalizer.IsNormalWord(word));
}
