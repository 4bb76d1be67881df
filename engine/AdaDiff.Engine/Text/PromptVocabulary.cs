using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AdaDiff.Engine.Text;

/// <summary>
/// The closed word vocabulary of a text-conditioned model and its maximum token count: the rows of the model's
/// token embedding, in id order. It travels in the model package as <see cref="FileName"/> beside model.json, so a
/// trained model always carries the tokenizer it was trained with.
/// </summary>
/// <remarks>
/// <para>File format (version 1, JSON, camelCase):</para>
/// <code>
/// { "format": "adadiff-prompt-vocabulary", "version": 1, "normalization": "nfkc-lower-split-punctuation",
///   "maxTokens": 20, "tokens": ["[PAD]", "[UNK]", "[BOS]", "[EOS]", ",", "-", …], "sha256": "…" }
/// </code>
/// <para>
/// A token's id is its index in <c>tokens</c>. Ids 0–3 are the special tokens in the order [PAD], [UNK], [BOS],
/// [EOS]; the others are distinct words of the <see cref="PromptNormalizer"/> scheme. <c>sha256</c> is the lower-case
/// hex SHA-256 of the UTF-8 text <c>format\nversion\nnormalization\nmaxTokens\n</c> followed by the tokens joined
/// by <c>\n</c>: it names the vocabulary's content, whatever the file's formatting, and a loader refuses a file
/// whose tokens do not match it (a hand edit that would shift every embedding row).
/// </para>
/// </remarks>
public sealed class PromptVocabulary
{
    /// <summary>The file name inside a model package.</summary>
    public const string FileName = "prompt-vocabulary.json";

    /// <summary>The <c>format</c> field of the file.</summary>
    public const string Format = "adadiff-prompt-vocabulary";

    /// <summary>The format version this code reads and writes.</summary>
    public const int FormatVersion = 1;

    /// <summary>Padding after [EOS], up to the maximum token count (id 0).</summary>
    public const string PadToken = "[PAD]";

    /// <summary>A word outside the vocabulary (id 1).</summary>
    public const string UnknownToken = "[UNK]";

    /// <summary>Start of every prompt (id 2).</summary>
    public const string BeginToken = "[BOS]";

    /// <summary>End of every prompt, also of a truncated one (id 3); its encoder state can serve as the pooled prompt, as CLIP's does.</summary>
    public const string EndToken = "[EOS]";

    /// <summary>Id of <see cref="PadToken"/>.</summary>
    public const int PadId = 0;

    /// <summary>Id of <see cref="UnknownToken"/>.</summary>
    public const int UnknownId = 1;

    /// <summary>Id of <see cref="BeginToken"/>.</summary>
    public const int BeginId = 2;

    /// <summary>Id of <see cref="EndToken"/>.</summary>
    public const int EndId = 3;

    /// <summary>Smallest maximum token count: [BOS], one word, [EOS].</summary>
    public const int MinMaxTokens = 3;

    /// <summary>Largest maximum token count a file may ask for (text tokens join the U-ViT's 50 other tokens; 256 is far beyond any caption).</summary>
    public const int MaxMaxTokens = 256;

    private static readonly string[] Specials = [PadToken, UnknownToken, BeginToken, EndToken];

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly string[] tokens;
    private readonly Dictionary<string, int> ids;

    private PromptVocabulary(string[] tokens, int maxTokens)
    {
        this.tokens = tokens;
        MaxTokens = maxTokens;
        ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
        {
            ids.Add(tokens[i], i);
        }
        Sha256 = ComputeSha256(tokens, maxTokens);
    }

    /// <summary>Every token, in id order (the special tokens first).</summary>
    public IReadOnlyList<string> Tokens => tokens;

    /// <summary>Tokens in the vocabulary, the special ones included: the rows of the model's token embedding.</summary>
    public int Count => tokens.Length;

    /// <summary>Tokens of every encoded prompt, [BOS] and [EOS] included, after padding.</summary>
    public int MaxTokens { get; }

    /// <summary>Lower-case hex SHA-256 of the vocabulary's content (see the remarks of <see cref="PromptVocabulary"/>).</summary>
    public string Sha256 { get; }

    /// <summary>The special tokens, in id order.</summary>
    public static IReadOnlyList<string> SpecialTokens => Specials;

    /// <summary>The id of <paramref name="word"/> (a word of the normalisation scheme), or false when it is not in the vocabulary.</summary>
    public bool TryGetId(string word, out int id) => ids.TryGetValue(word, out id);

    /// <summary>
    /// A vocabulary of the special tokens followed by <paramref name="words"/>, deduplicated and in ordinal order
    /// (so the ids do not depend on the order the words were gathered in).
    /// </summary>
    /// <param name="words">Words of the <see cref="PromptNormalizer"/> scheme (each already normalised and unsplittable).</param>
    /// <param name="maxTokens">Tokens per encoded prompt, [BOS] and [EOS] included, in <see cref="MinMaxTokens"/>..<see cref="MaxMaxTokens"/>.</param>
    /// <exception cref="ArgumentException">A word that is not one normalised word, or a special token.</exception>
    public static PromptVocabulary Create(IEnumerable<string> words, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, MinMaxTokens);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxTokens, MaxMaxTokens);
        var distinct = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string word in words)
        {
            if (CheckWord(word) is { } problem)
            {
                throw new ArgumentException(problem, nameof(words));
            }
            distinct.Add(word);
        }
        return new PromptVocabulary([.. Specials, .. distinct], maxTokens);
    }

    /// <summary>Reads and checks a vocabulary file; throws <see cref="InvalidDataException"/> naming the file and the problem.</summary>
    public static PromptVocabulary Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: prompt vocabulary not found", path);
        }
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Reads and checks a vocabulary from its JSON text; <paramref name="source"/> names it in errors.</summary>
    public static PromptVocabulary Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        VocabularyFile? file;
        try
        {
            file = JsonSerializer.Deserialize<VocabularyFile>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a valid prompt vocabulary: {e.Message}", e);
        }
        void Require(bool ok, string what)
        {
            if (!ok)
            {
                throw new InvalidDataException($"{source}: invalid prompt vocabulary: {what}");
            }
        }
        Require(file is not null, "empty file");
        Require(file!.Format == Format, $"format is '{file.Format}', expected '{Format}'");
        Require(file.Version == FormatVersion, $"version {file.Version} is not supported (this code reads version {FormatVersion})");
        Require(file.Normalization == PromptNormalizer.Scheme, $"normalization '{file.Normalization}' is not supported (expected '{PromptNormalizer.Scheme}')");
        Require(file.MaxTokens is >= MinMaxTokens and <= MaxMaxTokens, $"maxTokens {file.MaxTokens} is outside {MinMaxTokens}..{MaxMaxTokens}");
        Require(file.Tokens is { Length: > 4 }, "tokens must list the four special tokens and at least one word");
        for (int i = 0; i < Specials.Length; i++)
        {
            Require(file.Tokens![i] == Specials[i], $"token {i} is '{file.Tokens[i]}', expected '{Specials[i]}'");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < file.Tokens!.Length; i++)
        {
            string? token = file.Tokens[i];
            Require(token is not null, $"token {i} is null");
            Require(seen.Add(token!), $"token {i} '{token}' appears twice");
            if (i >= Specials.Length)
            {
                Require(CheckWord(token!) is null, $"token {i}: {CheckWord(token!)}");
            }
        }
        var vocabulary = new PromptVocabulary(Array.ConvertAll(file.Tokens, token => token!), file.MaxTokens);
        Require(file.Sha256 == vocabulary.Sha256, $"sha256 {file.Sha256} does not match its tokens ({vocabulary.Sha256}); the file was edited or is corrupt");
        return vocabulary;
    }

    /// <summary>The file's JSON text.</summary>
    public string ToJson() => JsonSerializer.Serialize(
        new VocabularyFile(Format, FormatVersion, PromptNormalizer.Scheme, MaxTokens, tokens, Sha256), JsonOptions) + "\n";

    /// <summary>Writes the file beside and renames it into place, so a reader never sees half of it.</summary>
    public void Save(string path)
    {
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, ToJson());
        File.Move(tmp, path, overwrite: true);
    }

    private static string? CheckWord(string? word)
    {
        if (string.IsNullOrEmpty(word))
        {
            return "a word must not be empty";
        }
        if (Array.IndexOf(Specials, word) >= 0)
        {
            return $"'{word}' is a special token";
        }
        return PromptNormalizer.IsNormalWord(word)
            ? null
            : $"'{word}' is not one normalised word (a prompt could never produce it)";
    }

    private static string ComputeSha256(string[] tokens, int maxTokens)
    {
        var text = new StringBuilder();
        text.Append(Format).Append('\n').Append(FormatVersion).Append('\n')
            .Append(PromptNormalizer.Scheme).Append('\n').Append(maxTokens).Append('\n')
            .AppendJoin('\n', tokens);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private sealed record VocabularyFile(string? Format, int Version, string? Normalization, int MaxTokens, string?[]? Tokens, string? Sha256);
}
