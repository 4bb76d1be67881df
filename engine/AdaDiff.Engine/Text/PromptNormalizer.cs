using System.Buffers;
using System.Globalization;
using System.Text;

namespace AdaDiff.Engine.Text;

/// <summary>
/// Turns a prompt into the words a <see cref="PromptVocabulary"/> is made of, the same way for captions at training
/// time and for prompts at serving time:
/// <list type="number">
/// <item>Unicode NFKC (compatibility forms fold: full-width "ＢＯＯＴ" is "BOOT", the ligature "ﬁ" is "fi").</item>
/// <item>Lower case with the invariant culture.</item>
/// <item>Words are runs of letters, marks and digits; white space separates them; every other character
/// (punctuation, hyphens, slashes, symbols) is a word of its own: "T-shirt/top," is "t", "-", "shirt", "/", "top", ",".</item>
/// </list>
/// Version 1 of the vocabulary format records this as <see cref="Scheme"/>; a change here is a new scheme.
/// NFKC comes from ICU: a process in globalization-invariant mode (DOTNET_SYSTEM_GLOBALIZATION_INVARIANT, or
/// InvariantGlobalization in a project) would leave "ＢＯＯＴ" unfolded without a word of warning, so
/// <see cref="Split"/> and <see cref="PromptTokenizer"/> refuse to run there (<see cref="EnsureAvailable"/>).
/// </summary>
public static class PromptNormalizer
{
    /// <summary>The name of this normalisation, recorded in the vocabulary file.</summary>
    public const string Scheme = "nfkc-lower-split-punctuation";

    /// <summary>The words of <paramref name="text"/>, in order (an empty list for empty or all-space text).</summary>
    /// <remarks>
    /// Expects text that <see cref="PromptValidator"/> accepted; a lone surrogate or a control character is treated
    /// as a word of its own, which no vocabulary holds.
    /// </remarks>
    public static List<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        EnsureAvailable();
        var words = new List<string>();
        if (text.Length == 0)
        {
            return words;
        }
        string normalized = IsWellFormed(text) ? text.Normalize(NormalizationForm.FormKC) : text;
        normalized = normalized.ToLowerInvariant();
        var word = new StringBuilder();
        for (int i = 0; i < normalized.Length;)
        {
            if (Rune.DecodeFromUtf16(normalized.AsSpan(i), out Rune rune, out int consumed) != OperationStatus.Done)
            {
                Flush(word, words);
                words.Add(normalized.Substring(i, consumed)); // a lone surrogate: never in a vocabulary
                i += consumed;
                continue;
            }
            if (Rune.IsLetterOrDigit(rune) || IsMark(rune))
            {
                word.Append(normalized, i, consumed);
            }
            else if (Rune.IsWhiteSpace(rune))
            {
                Flush(word, words);
            }
            else
            {
                Flush(word, words);
                words.Add(normalized.Substring(i, consumed));
            }
            i += consumed;
        }
        Flush(word, words);
        return words;
    }

    /// <summary>
    /// Throws <see cref="PlatformNotSupportedException"/> when this process cannot apply NFKC (globalization-invariant
    /// mode, no ICU): prompts would be tokenized differently from the captions the model was trained on.
    /// </summary>
    public static void EnsureAvailable()
    {
        if (!NormalizationWorks.Value)
        {
            throw new PlatformNotSupportedException(
                "Unicode NFKC normalisation is not available in this process (globalization-invariant mode?): prompts cannot be "
                + "tokenized as the model's captions were. Install ICU (libicu) and leave DOTNET_SYSTEM_GLOBALIZATION_INVARIANT unset.");
        }
    }

    /// <summary>True when <paramref name="word"/> is one word of this scheme already (what a vocabulary may hold).</summary>
    public static bool IsNormalWord(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        List<string> split = Split(word);
        return split.Count == 1 && split[0] == word;
    }

    // The ligature "ﬁ" (U+FB01) is "fi" under NFKC; in invariant mode Normalize leaves non-ASCII text as it is.
    private static readonly Lazy<bool> NormalizationWorks = new(() =>
    {
        try
        {
            return "\uFB01".Normalize(NormalizationForm.FormKC) == "fi";
        }
        catch (PlatformNotSupportedException)
        {
            return false;
        }
    });

    private static bool IsMark(Rune rune) => Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark
        or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;

    // string.Normalize throws on ill-formed UTF-16; such text is split as it is.
    private static bool IsWellFormed(string text)
    {
        for (int i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out _, out int consumed) != OperationStatus.Done)
            {
                return false;
            }
            i += consumed;
        }
        return true;
    }

    private static void Flush(StringBuilder word, List<string> words)
    {
        if (word.Length > 0)
        {
            words.Add(word.ToString());
            word.Clear();
        }
    }
}
