namespace AdaDiff.Engine.Text;

/// <summary>
/// Word-level tokenizer of a text-conditioned model's prompts over a small closed <see cref="PromptVocabulary"/>:
/// <see cref="PromptNormalizer"/> splits the prompt into words, each word becomes its id, and the ids are framed by
/// [BOS] and [EOS] and padded with [PAD] to the vocabulary's maximum token count.
/// </summary>
/// <remarks>
/// <para>
/// Why not a tokenizer library: Microsoft.ML.Tokenizers (the well-kept .NET one) offers sub-word models (BPE,
/// WordPiece, SentencePiece, Tiktoken) whose value is their trained merges or pretrained vocabularies. A vocabulary of
/// a few dozen words that the captions are made of needs neither: each word is one dictionary lookup. What the model
/// does need, the library does not give: NFKC normalisation with punctuation split off, a fixed token count with
/// truncation reported, the unknown words named for the server's error, and a versioned vocabulary file with a
/// content hash inside the model package. And the engine, which the serving build and every tool embed, stays
/// without a dependency beyond logging abstractions.
/// </para>
/// <para>
/// Unknown words: a word outside the vocabulary becomes [UNK] (id 1) and is listed in
/// <see cref="TokenizedPrompt.UnknownWords"/>; the encoder never sees a word silently dropped. A model trained on
/// captions alone has seen [UNK] only where training replaced words with it, so the server should refuse a prompt
/// with unknown words and name them (the vocabulary is closed and small enough to list), rather than guess.
/// </para>
/// <para>
/// Truncation: when a prompt has more than MaxTokens − 2 words, the first MaxTokens − 2 are kept and [EOS] still
/// ends the ids; <see cref="TokenizedPrompt.DroppedWords"/> says how many were cut. The empty prompt encodes as
/// [BOS] [EOS] and padding: the unconditional input of classifier-free guidance.
/// </para>
/// </remarks>
public sealed class PromptTokenizer
{
    /// <summary>A tokenizer over <paramref name="vocabulary"/>.</summary>
    /// <exception cref="PlatformNotSupportedException">The process cannot apply NFKC (see <see cref="PromptNormalizer"/>).</exception>
    public PromptTokenizer(PromptVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        PromptNormalizer.EnsureAvailable(); // at model load, not at the first request
        Vocabulary = vocabulary;
    }

    /// <summary>The vocabulary the ids index.</summary>
    public PromptVocabulary Vocabulary { get; }

    /// <summary>Encodes <paramref name="prompt"/> (one that <see cref="PromptValidator"/> accepted, or the empty prompt).</summary>
    public TokenizedPrompt Encode(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        List<string> words = PromptNormalizer.Split(prompt);
        int room = Vocabulary.MaxTokens - 2;
        int kept = Math.Min(words.Count, room);
        var ids = new int[Vocabulary.MaxTokens]; // [PAD] is id 0: the padding is already there
        var unknown = new List<string>();
        ids[0] = PromptVocabulary.BeginId;
        for (int i = 0; i < kept; i++)
        {
            if (Vocabulary.TryGetId(words[i], out int id))
            {
                ids[1 + i] = id;
            }
            else
            {
                ids[1 + i] = PromptVocabulary.UnknownId;
                unknown.Add(words[i]);
            }
        }
        ids[1 + kept] = PromptVocabulary.EndId;
        int dropped = words.Count - kept;
        if (dropped > 0)
        {
            words.RemoveRange(kept, dropped);
        }
        return new TokenizedPrompt(ids, kept + 2, words, dropped, unknown);
    }

    /// <summary>
    /// The empty string's encoding, [BOS] [EOS] and padding. It is NOT the unconditional input of classifier-free
    /// guidance: that is all padding (no [BOS], no [EOS]), which training uses for dropped prompts and the engine for
    /// guidance's unconditional rows; a request without a prompt gets it, and the server refuses an empty prompt.
    /// </summary>
    public TokenizedPrompt EncodeEmpty() => Encode("");

    /// <summary>The tokens of <paramref name="ids"/> joined by spaces, special tokens included (for logs and tests).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var tokens = new string[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)Vocabulary.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), $"id {ids[i]} at {i} is outside the vocabulary of {Vocabulary.Count} tokens");
            }
            tokens[i] = Vocabulary.Tokens[ids[i]];
        }
        return string.Join(' ', tokens);
    }
}
