namespace AdaDiff.Engine.Text;

/// <summary>Why a prompt was refused, for the client.</summary>
/// <param name="Position">
/// Where the problem is, counted in Unicode characters (scalar values) from 0 in the prompt as sent, or in bytes
/// from 0 for <see cref="PromptValidator.Check(ReadOnlySpan{byte}, int)"/>; null when it concerns the whole prompt
/// (empty, too long).
/// </param>
/// <param name="Message">What is wrong, naming the position and the offending code point where there is one.</param>
public sealed record PromptViolation(int? Position, string Message);
