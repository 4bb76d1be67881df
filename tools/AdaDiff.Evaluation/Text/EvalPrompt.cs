using AdaDiff.Captions;

namespace AdaDiff.Evaluation.Text;

/// <summary>A prompt of the evaluation and what it names.</summary>
/// <param name="Text">The prompt as sent.</param>
/// <param name="Content">The class and attributes it names (<see cref="PromptParser"/>).</param>
/// <param name="Tokens">Its token ids, the package's <c>maxTokens</c> of them.</param>
/// <param name="TestImage">The test image whose label and attributes it was captioned from; null for a hand-written prompt.</param>
public sealed record EvalPrompt(string Text, PromptContent Content, int[] Tokens, int? TestImage);
