using System.Diagnostics.CodeAnalysis;

namespace AdaDiff.Benchmarks.Shared;

/// <summary>The last lines a child process wrote (thread-safe: its stdout and stderr arrive on their own threads), for the error that names why it failed.</summary>
/// <param name="capacity">Lines kept; older ones are dropped.</param>
internal sealed class RecentLines(int capacity)
{
    private readonly Queue<string> lines = new();

    /// <summary>Keeps <paramref name="line"/> (null, the end of a stream, is ignored); false for null.</summary>
    public bool Add([NotNullWhen(true)] string? line)
    {
        if (line is null)
        {
            return false;
        }
        lock (lines)
        {
            lines.Enqueue(line);
            while (lines.Count > capacity)
            {
                lines.Dequeue();
            }
        }
        return true;
    }

    /// <summary>The kept lines, oldest first, one per line.</summary>
    public override string ToString()
    {
        lock (lines)
        {
            return string.Join('\n', lines);
        }
    }
}
