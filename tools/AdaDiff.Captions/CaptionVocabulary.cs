using AdaDiff.Engine.Text;

namespace AdaDiff.Captions;

/// <summary>The prompt vocabulary of a model trained on <see cref="CaptionGenerator"/>'s captions.</summary>
public static class CaptionVocabulary
{
    /// <summary>
    /// Tokens per prompt, [BOS] and [EOS] included. The longest caption of the Fashion-MNIST classes is 17 tokens
    /// ("a t-shirt/top that is small, wide, textured and dark": 15 words and punctuation, plus [BOS] and [EOS]);
    /// 20 leaves a user's prompt three more words. Each token is one more token of the U-ViT's sequence (50 today).
    /// </summary>
    public const int MaxTokens = 20;

    /// <summary>
    /// The vocabulary of every word <paramref name="generator"/>'s captions can hold (template words, attribute
    /// words, class phrases split as the tokenizer splits them), no more: each row of the token embedding is trained.
    /// </summary>
    public static PromptVocabulary Build(CaptionGenerator generator, int maxTokens = MaxTokens)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return PromptVocabulary.Create(generator.Words, maxTokens);
    }
}
