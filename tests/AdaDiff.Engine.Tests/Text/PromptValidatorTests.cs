using System.Text;
using AdaDiff.Engine.Text;

namespace AdaDiff.Engine.Tests.Text;

public class PromptValidatorTests
{
    [Theory]
    [InlineData("a small dark ankle boot")]
    [InlineData("something bright and wide")]
    [InlineData("T-shirt/top, please!")]
    [InlineData("ＢＯＯＴ")] // full-width letters are letters
    [InlineData("un manteau très sombre")]
    [InlineData("👢")] // a supplementary-plane character is one character
    public void Check_OrdinaryPrompts_Accepted(string prompt) => Assert.Null(PromptValidator.Check(prompt));

    [Fact]
    public void Check_NullOrEmpty_MustNotBeEmpty()
    {
        Assert.Equal(new PromptViolation(null, "must not be empty"), PromptValidator.Check((string?)null));
        Assert.Equal(new PromptViolation(null, "must not be empty"), PromptValidator.Check(""));
    }

    [Fact]
    public void Check_OnlySpaces_NeedsAWord() =>
        Assert.Equal(new PromptViolation(null, "has only white space; give at least one word"), PromptValidator.Check("   \u00A0 "));

    [Fact]
    public void Check_TooLong_SaysHowLongAndTheLimit()
    {
        Assert.Null(PromptValidator.Check(new string('a', 1024)));
        Assert.Equal(new PromptViolation(null, "is 1025 characters long; at most 1024"), PromptValidator.Check(new string('a', 1025)));
        Assert.Equal(new PromptViolation(null, "is 6 characters long; at most 5"), PromptValidator.Check("boots!", maxCharacters: 5));
    }

    [Fact]
    public void Check_Length_CountsCharactersNotUtf16Units()
    {
        string boots = string.Concat(Enumerable.Repeat("👢", 1024)); // 2048 UTF-16 units, 1024 characters

        Assert.Null(PromptValidator.Check(boots));
        Assert.NotNull(PromptValidator.Check(boots + "👢"));
    }

    [Fact]
    public void Check_LoneSurrogate_NamesItsPosition()
    {
        // 'a', ' ', the boot (two UTF-16 units, one character), ' ', 'b', then the lone high surrogate: character 5.
        Assert.Equal(new PromptViolation(5, "has a lone surrogate U+D83D at position 5 (not valid UTF-16)"), PromptValidator.Check("a 👢 b\uD83D c"));
        Assert.Equal(0, PromptValidator.Check("\uDC00boot")?.Position); // a low surrogate first
    }

    [Theory]
    [InlineData("ab\u0007c", 2, "has a control character U+0007 at position 2")]
    [InlineData("a\tb", 1, "has a control character U+0009 at position 1")]
    [InlineData("a\nb", 1, "has a control character U+000A at position 1")]
    [InlineData("boot\u200B", 4, "has an invisible format character U+200B at position 4")]
    [InlineData("\u202Eboot", 0, "has an invisible format character U+202E at position 0")]
    [InlineData("a\uE000", 1, "has a private-use character U+E000 at position 1")]
    [InlineData("a\u2028b", 1, "has a line break U+2028 at position 1")]
    [InlineData("bad \uFFFD byte", 4, "has the replacement character U+FFFD at position 4 (the prompt was not valid UTF-8 where it was decoded)")]
    public void Check_RefusedCharacters_NamePositionAndCodePoint(string prompt, int position, string message) =>
        Assert.Equal(new PromptViolation(position, message), PromptValidator.Check(prompt));

    [Fact]
    public void Check_PositionAfterSupplementaryCharacter_CountsItOnce()
    {
        // "👢" is two UTF-16 units but one character: the bell is character 2, UTF-16 index 3.
        Assert.Equal(2, PromptValidator.Check("👢 \u0007")?.Position);
    }

    [Fact]
    public void Check_Utf8Bytes_Valid()
    {
        Assert.Null(PromptValidator.Check(Encoding.UTF8.GetBytes("a small dark ankle boot 👢")));
    }

    [Fact]
    public void Check_Utf8Bytes_InvalidSequence_NamesTheByte()
    {
        byte[] bytes = [.. "boot "u8, 0xC3, 0x28, .. " x"u8]; // 0xC3 needs a continuation byte

        Assert.Equal(new PromptViolation(5, "is not valid UTF-8 at byte 5 (byte 0xC3)"), PromptValidator.Check(bytes));
    }

    [Fact]
    public void Check_Utf8Bytes_EncodedSurrogate_IsInvalid()
    {
        byte[] bytes = [.. "ab"u8, 0xED, 0xA0, 0x80]; // U+D800 encoded: not UTF-8

        Assert.Equal(2, PromptValidator.Check(bytes)?.Position);
    }

    [Fact]
    public void Check_Utf8Bytes_ControlCharacter_NamesTheByte()
    {
        Assert.Equal(new PromptViolation(7, "has a control character U+0000 at byte 7"), PromptValidator.Check([.. "boot \u00e9"u8, 0x00])); // é is two bytes
    }

    [Fact]
    public void Check_Utf8Bytes_EmptyAndTooLong()
    {
        Assert.Equal("must not be empty", PromptValidator.Check(ReadOnlySpan<byte>.Empty)?.Message);
        Assert.Equal("is 1025 characters long; at most 1024", PromptValidator.Check(Encoding.UTF8.GetBytes(new string('é', 1025)))?.Message); // 2050 bytes
    }
}
