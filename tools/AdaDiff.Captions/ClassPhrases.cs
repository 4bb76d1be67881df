using AdaDiff.Engine.Text;

namespace AdaDiff.Captions;

/// <summary>
/// How captions name each class, from the model manifest's class names: the name in lower case ("ankle boot",
/// "t-shirt/top") and, for a name that lists alternatives with "/", each alternative too ("t-shirt", "top").
/// </summary>
public sealed class ClassPhrases
{
    private readonly string[][] phrases;
    private readonly List<(string[] Words, int ClassIndex)> byLength;

    /// <summary>The phrases of <paramref name="classNames"/> (the manifest's classNames, in label order).</summary>
    /// <exception cref="ArgumentException">A name without words, or a phrase that two classes share.</exception>
    public ClassPhrases(IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count == 0)
        {
            throw new ArgumentException("a text-conditioned model names its classes; none given", nameof(classNames));
        }
        phrases = new string[classNames.Count][];
        byLength = [];
        var owner = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < classNames.Count; c++)
        {
            string name = classNames[c].Trim().ToLowerInvariant();
            var forms = new List<string> { name };
            if (name.Contains('/', StringComparison.Ordinal))
            {
                forms.AddRange(name.Split('/', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            }
            phrases[c] = [.. forms.Distinct(StringComparer.Ordinal)];
            foreach (string phrase in phrases[c])
            {
                string[] words = [.. PromptNormalizer.Split(phrase)];
                if (words.Length == 0)
                {
                    throw new ArgumentException($"class {c} '{classNames[c]}' has no words", nameof(classNames));
                }
                string key = string.Join(' ', words);
                if (owner.TryGetValue(key, out int other) && other != c)
                {
                    throw new ArgumentException($"'{phrase}' names both class {other} and class {c}", nameof(classNames));
                }
                owner[key] = c;
                byLength.Add((words, c));
            }
        }
        // Longest first, so "t - shirt" is read as class 0 before "shirt" as class 6.
        byLength.Sort((a, b) => b.Words.Length.CompareTo(a.Words.Length));
    }

    /// <summary>Classes.</summary>
    public int Count => phrases.Length;

    /// <summary>The phrases of class <paramref name="classIndex"/>, the full name first.</summary>
    public IReadOnlyList<string> Of(int classIndex) => phrases[classIndex];

    /// <summary>Every word of every phrase, as the tokenizer splits them.</summary>
    public IEnumerable<string> Words => byLength.SelectMany(p => p.Words);

    /// <summary>
    /// The class whose phrase starts at <paramref name="start"/> in <paramref name="words"/>, longest phrase first;
    /// false when none does.
    /// </summary>
    public bool TryMatch(IReadOnlyList<string> words, int start, out int classIndex, out int length)
    {
        ArgumentNullException.ThrowIfNull(words);
        foreach ((string[] phrase, int c) in byLength)
        {
            if (start + phrase.Length > words.Count)
            {
                continue;
            }
            bool same = true;
            for (int k = 0; k < phrase.Length && same; k++)
            {
                same = words[start + k] == phrase[k];
            }
            if (same)
            {
                classIndex = c;
                length = phrase.Length;
                return true;
            }
        }
        classIndex = -1;
        length = 0;
        return false;
    }
}
