using AdaDiff.Engine.Text;

namespace AdaDiff.Engine;

/// <summary>
/// The text side of a text-conditioned model (model.json <c>"text"</c>): the prompt vocabulary it was trained with and
/// the shape of its text encoder. A row's condition is the prompt's <see cref="MaxTokens"/> token ids
/// (<see cref="PromptTokenizer"/>); the ids pass through a learned token embedding and positional embedding
/// (<see cref="EncoderDim"/> wide), <see cref="EncoderDepth"/> pre-norm transformer blocks and a linear projection to
/// the denoiser's width, and join the U-ViT as condition tokens between the time token and the patches.
/// </summary>
public sealed record TextConditioning
{
    /// <summary>Token ids per row, [BOS] and [EOS] included, after padding: the vocabulary's maxTokens.</summary>
    public required int MaxTokens { get; init; }

    /// <summary>Rows of the token embedding: the vocabulary's token count, the special tokens included.</summary>
    public required int VocabularySize { get; init; }

    /// <summary>Lower-case hex SHA-256 of the prompt vocabulary (<see cref="PromptVocabulary.Sha256"/>) the model was trained with.</summary>
    public required string VocabularySha256 { get; init; }

    /// <summary>Width of the text encoder's tokens.</summary>
    public int EncoderDim { get; init; } = 64;

    /// <summary>Pre-norm transformer blocks of the text encoder (0: embeddings and projection only).</summary>
    public int EncoderDepth { get; init; } = 1;

    /// <summary>Attention heads of the text encoder's blocks.</summary>
    public int EncoderHeads { get; init; } = 2;

    /// <summary>MLP hidden width of the text encoder's blocks over <see cref="EncoderDim"/>.</summary>
    public double EncoderMlpRatio { get; init; } = 2.0;

    /// <summary>MLP hidden width of the text encoder's blocks.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int EncoderMlpHidden => (int)(EncoderDim * EncoderMlpRatio);

    /// <summary>The text side of a model trained on <paramref name="vocabulary"/>'s prompts, with a text encoder of the given shape.</summary>
    public static TextConditioning For(PromptVocabulary vocabulary, int encoderDim = 64, int encoderDepth = 1, int encoderHeads = 2)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return new TextConditioning
        {
            MaxTokens = vocabulary.MaxTokens,
            VocabularySize = vocabulary.Count,
            VocabularySha256 = vocabulary.Sha256,
            EncoderDim = encoderDim,
            EncoderDepth = encoderDepth,
            EncoderHeads = encoderHeads,
        };
    }

    /// <summary>The problem with these values, or null when they describe a text encoder.</summary>
    public string? Problem()
    {
        if (MaxTokens < PromptVocabulary.MinMaxTokens || MaxTokens > PromptVocabulary.MaxMaxTokens)
        {
            return $"text.maxTokens must be in {PromptVocabulary.MinMaxTokens}..{PromptVocabulary.MaxMaxTokens}; was {MaxTokens}";
        }
        if (VocabularySize <= PromptVocabulary.SpecialTokens.Count)
        {
            return $"text.vocabularySize must exceed the {PromptVocabulary.SpecialTokens.Count} special tokens; was {VocabularySize}";
        }
        if (VocabularySha256 is not { Length: 64 } || !VocabularySha256.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
        {
            return "text.vocabularySha256 must be 64 lower-case hex digits";
        }
        if (EncoderDim <= 0 || EncoderHeads <= 0 || EncoderDim % EncoderHeads != 0)
        {
            return $"text.encoderDim ({EncoderDim}) must be a positive multiple of text.encoderHeads ({EncoderHeads})";
        }
        if (EncoderDepth < 0 || !(EncoderMlpRatio > 0) || EncoderMlpHidden < 1)
        {
            return "text.encoderDepth must be ≥ 0 and text.encoderMlpRatio positive";
        }
        return null;
    }
}
