using System.Buffers;
using System.Globalization;
using System.Text;

namespace AdaDiff.Engine.Text;

/// <summary>
/// The checks a prompt passes before it is tokenized: 1..<see cref="MaxCharacters"/> Unicode characters, valid
/// UTF-16 (no lone surrogate) or valid UTF-8, no control, format, private-use or unassigned characters, no
/// U+FFFD (what a UTF-8 decoder puts where the bytes were invalid, so a prompt that arrived as bad UTF-8 is caught
/// after decoding too), and at least one character that is not white space. The first problem is returned as a
/// status value, with its position, so the server can put it in a field violation.
/// </summary>
public static class PromptValidator
{
    /// <summary>
    /// Longest prompt accepted by default, in Unicode characters: the contract's limit (GenerateRequest.prompt,
    /// "1..1024 UTF-8 characters"). Far more than a model reads (its maximum token count, about 20 words); what is
    /// past that is cut by the tokenizer and reported as truncation, not refused here.
    /// </summary>
    public const int MaxCharacters = 1024;

    /// <summary>Checks a prompt as a .NET string; returns the first problem, or null when it is acceptable.</summary>
    /// <param name="prompt">The prompt as received.</param>
    /// <param name="maxCharacters">Longest prompt accepted, in Unicode characters (scalar values), ≥ 1.</param>
    public static PromptViolation? Check(string? prompt, int maxCharacters = MaxCharacters)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCharacters, 1);
        if (string.IsNullOrEmpty(prompt))
        {
            return new(null, "must not be empty");
        }
        int characters = 0;
        bool hasWord = false;
        for (int i = 0; i < prompt.Length; characters++)
        {
            OperationStatus status = Rune.DecodeFromUtf16(prompt.AsSpan(i), out Rune rune, out int consumed);
            if (status != OperationStatus.Done)
            {
                return new(characters, $"has a lone surrogate U+{(int)prompt[i]:X4} at position {characters} (not valid UTF-16)");
            }
            if (Refused(rune, characters, "position") is { } violation)
            {
                return violation;
            }
            hasWord |= !Rune.IsWhiteSpace(rune);
            i += consumed;
        }
        return Finish(characters, hasWord, maxCharacters);
    }

    /// <summary>
    /// Checks a prompt as UTF-8 bytes (for callers that still hold the bytes); positions are byte offsets.
    /// Returns the first problem, or null when the bytes decode to an acceptable prompt.
    /// </summary>
    /// <param name="utf8">The prompt's bytes.</param>
    /// <param name="maxCharacters">Longest prompt accepted, in Unicode characters (scalar values), ≥ 1.</param>
    public static PromptViolation? Check(ReadOnlySpan<byte> utf8, int maxCharacters = MaxCharacters)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCharacters, 1);
        if (utf8.IsEmpty)
        {
            return new(null, "must not be empty");
        }
        int characters = 0;
        bool hasWord = false;
        for (int offset = 0; offset < utf8.Length; characters++)
        {
            OperationStatus status = Rune.DecodeFromUtf8(utf8[offset..], out Rune rune, out int consumed);
            if (status != OperationStatus.Done)
            {
                return new(offset, $"is not valid UTF-8 at byte {offset} (byte 0x{utf8[offset]:X2})");
            }
            if (Refused(rune, offset, "byte") is { } violation)
            {
                return violation;
            }
            hasWord |= !Rune.IsWhiteSpace(rune);
            offset += consumed;
        }
        return Finish(characters, hasWord, maxCharacters);
    }

    private static PromptViolation? Finish(int characters, bool hasWord, int maxCharacters)
    {
        if (characters > maxCharacters)
        {
            return new(null, $"is {characters} characters long; at most {maxCharacters}");
        }
        return hasWord ? null : new(null, "has only white space; give at least one word");
    }

    // where: "position" (characters) or "byte" (UTF-8 offsets), the word the message puts before the number.
    private static PromptViolation? Refused(Rune rune, int position, string where)
    {
        if (rune.Value == 0xFFFD)
        {
            return new(position, $"has the replacement character U+FFFD at {where} {position} (the prompt was not valid UTF-8 where it was decoded)");
        }
        string? what = Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control => "a control character",
            UnicodeCategory.Format => "an invisible format character",
            UnicodeCategory.PrivateUse => "a private-use character",
            UnicodeCategory.OtherNotAssigned => "an unassigned code point",
            UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => "a line break",
            _ => null,
        };
        return what is null ? null : new(position, $"has {what} U+{rune.Value:X4} at {where} {position}");
    }
}
