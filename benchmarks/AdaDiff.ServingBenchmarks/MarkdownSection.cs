namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// The serving benchmark's section of a markdown file, between two HTML comments, so that the file can hold other
/// reports (docs/benchmarks.md starts with the backends' in-process table of adadiff-bench) and each program rewrites
/// only its own part.
/// </summary>
public static class MarkdownSection
{
    public const string Begin = "<!-- serving-benchmarks:begin (written by adadiff-serving-bench: change the program, not this section) -->";
    public const string End = "<!-- serving-benchmarks:end -->";

    private const string BeginPrefix = "<!-- serving-benchmarks:begin";

    /// <summary>
    /// <paramref name="existing"/> with its section replaced by <paramref name="body"/> (between the markers), or with
    /// the section appended after a blank line when it has none.
    /// </summary>
    public static string Replace(string? existing, string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        string section = Begin + "\n" + body.TrimEnd('\n') + "\n" + End + "\n";
        if (string.IsNullOrEmpty(existing))
        {
            return section;
        }
        int begin = existing.IndexOf(BeginPrefix, StringComparison.Ordinal);
        int end = begin < 0 ? -1 : existing.IndexOf(End, begin, StringComparison.Ordinal);
        if (begin < 0 || end < 0)
        {
            return existing.TrimEnd('\n') + "\n\n" + section;
        }
        string after = existing[(end + End.Length)..].TrimStart('\n');
        return existing[..begin] + section + (after.Length > 0 ? "\n" + after : "");
    }

    /// <summary>The section of <paramref name="text"/>, markers included, or null when it has none.</summary>
    public static string? Extract(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int begin = text.IndexOf(BeginPrefix, StringComparison.Ordinal);
        int end = begin < 0 ? -1 : text.IndexOf(End, begin, StringComparison.Ordinal);
        return begin < 0 || end < 0 ? null : text[begin..(end + End.Length)] + "\n";
    }
}
