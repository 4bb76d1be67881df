namespace AdaDiff.Engine.Text;

/// <summary>A prompt as token ids: [BOS], its words, [EOS], then [PAD] up to the vocabulary's maximum token count.</summary>
/// <param name="Ids">Token ids, <see cref="PromptVocabulary.MaxTokens"/> of them.</param>
/// <param name="Length">Ids before the padding ([BOS] and [EOS] included); the text encoder attends to these only.</param>
/// <param name="Words">The normalised words that were encoded, in order (truncated ones left out).</param>
/// <param name="DroppedWords">Words cut off because the prompt had more than MaxTokens − 2; 0 when nothing was cut.</param>
/// <param name="UnknownWords">Encoded words that are not in the vocabulary (each became [UNK]), in order, repeats included.</param>
public sealed record TokenizedPrompt(int[] Ids, int Length, IReadOnlyList<string> Words, int DroppedWords, IReadOnlyList<string> UnknownWords)
{
    /// <summary>True when words were cut off to fit the maximum token count.</summary>
    public bool Truncated => DroppedWords > 0;

    /// <summary>True when every encoded word is in the vocabulary (no [UNK]).</summary>
    public bool AllKnown => UnknownWords.Count == 0;
}
