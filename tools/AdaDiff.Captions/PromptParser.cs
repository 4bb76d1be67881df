using AdaDiff.Engine.Text;

namespace AdaDiff.Captions;

/// <summary>
/// Reads back which class and attributes a prompt names, so a generated image can be scored against its prompt
/// (<see cref="PromptContent.IsMetBy"/>). It reads every caption <see cref="CaptionGenerator"/> writes and the same
/// words in other orders: words are split as the tokenizer splits them, class phrases are matched longest first
/// ("t-shirt" before "shirt"), attribute words (<see cref="AttributeWords"/>) fill their slot, caption words
/// ("a", "photo", "of", "that", …) are passed over, and anything else is reported.
/// </summary>
public sealed class PromptParser
{
    private static readonly string[] SlotNames = ["brightness", "size", "aspect", "texture"];

    // Attribute word → (slot: 0 brightness, 1 size, 2 aspect, 3 texture; bucket), from AttributeWords.
    private static readonly Dictionary<string, (int Slot, int Bucket)> Attributes = BuildAttributes();

    private readonly ClassPhrases classes;
    private readonly HashSet<string> captionWords = new(CaptionGenerator.TemplateWords, StringComparer.Ordinal);

    /// <summary>A parser for the classes of <paramref name="classNames"/> (the model manifest's classNames).</summary>
    public PromptParser(IReadOnlyList<string> classNames)
        : this(new ClassPhrases(classNames))
    {
    }

    /// <summary>A parser for <paramref name="classes"/> (a generator's <see cref="CaptionGenerator.Classes"/>).</summary>
    public PromptParser(ClassPhrases classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        this.classes = classes;
    }

    /// <summary>Reads <paramref name="prompt"/>.</summary>
    public ParsedPrompt Parse(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        List<string> words = PromptNormalizer.Split(prompt);
        var unrecognized = new List<string>();
        var conflicts = new List<string>();
        int? classIndex = null;
        string? classPhrase = null;
        var slots = new int?[SlotNames.Length];
        var slotWords = new string?[SlotNames.Length];
        for (int i = 0; i < words.Count;)
        {
            if (classes.TryMatch(words, i, out int c, out int length))
            {
                string phrase = string.Join(' ', words.GetRange(i, length));
                if (classIndex is null)
                {
                    (classIndex, classPhrase) = (c, phrase);
                }
                else if (classIndex != c)
                {
                    conflicts.Add($"class: '{classPhrase}' and '{phrase}'");
                }
                i += length;
                continue;
            }
            string word = words[i++];
            if (Attributes.TryGetValue(word, out var attribute))
            {
                if (slots[attribute.Slot] is null)
                {
                    (slots[attribute.Slot], slotWords[attribute.Slot]) = (attribute.Bucket, word);
                }
                else if (slots[attribute.Slot] != attribute.Bucket)
                {
                    conflicts.Add($"{SlotNames[attribute.Slot]}: '{slotWords[attribute.Slot]}' and '{word}'");
                }
            }
            else if (!captionWords.Contains(word))
            {
                unrecognized.Add(word);
            }
        }
        var content = new PromptContent(
            classIndex,
            (Brightness?)slots[0],
            (GarmentSize?)slots[1],
            (Aspect?)slots[2],
            (Texture?)slots[3]);
        return new ParsedPrompt(content, unrecognized, conflicts);
    }

    private static Dictionary<string, (int Slot, int Bucket)> BuildAttributes()
    {
        var table = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        foreach (Brightness value in Enum.GetValues<Brightness>())
        {
            table.Add(AttributeWords.Of(value), (0, (int)value));
        }
        foreach (GarmentSize value in Enum.GetValues<GarmentSize>())
        {
            table.Add(AttributeWords.Of(value), (1, (int)value));
        }
        foreach (Aspect value in Enum.GetValues<Aspect>())
        {
            table.Add(AttributeWords.Of(value), (2, (int)value));
        }
        foreach (Texture value in Enum.GetValues<Texture>())
        {
            table.Add(AttributeWords.Of(value), (3, (int)value));
        }
        return table;
    }
}
