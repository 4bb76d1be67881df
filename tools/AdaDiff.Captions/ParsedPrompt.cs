namespace AdaDiff.Captions;

/// <summary>What <see cref="PromptParser"/> read from a prompt.</summary>
/// <param name="Content">The class and attributes named (the first one where a prompt names two).</param>
/// <param name="Unrecognized">Words that are neither a class, an attribute nor a caption word, in order.</param>
/// <param name="Conflicts">
/// Where the prompt names two different values of one slot ("class: 'coat' and 'dress'", "size: 'small' and
/// 'large'"); the first value is kept in <paramref name="Content"/>.
/// </param>
public sealed record ParsedPrompt(PromptContent Content, IReadOnlyList<string> Unrecognized, IReadOnlyList<string> Conflicts)
{
    /// <summary>True when every word was understood and no slot was named twice differently.</summary>
    public bool IsClean => Unrecognized.Count == 0 && Conflicts.Count == 0;
}
