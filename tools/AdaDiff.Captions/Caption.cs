namespace AdaDiff.Captions;

/// <summary>A caption and what it names.</summary>
/// <param name="Text">The caption, lower case, as the tokenizer will read it.</param>
/// <param name="Template">Its phrasing.</param>
/// <param name="Content">The class and attributes it names (what <see cref="PromptParser"/> reads back from <paramref name="Text"/>).</param>
public sealed record Caption(string Text, CaptionTemplate Template, PromptContent Content);
