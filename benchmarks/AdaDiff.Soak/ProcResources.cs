using System.Globalization;

namespace AdaDiff.Soak;

/// <summary>What the soak samples of the server process from /proc.</summary>
internal static class ProcResources
{
    /// <summary>VmRSS (bytes) and Threads of /proc/&lt;pid&gt;/status, and the entries of /proc/&lt;pid&gt;/fd.</summary>
    public static (long RssBytes, int Threads, int Fds) Read(int processId)
    {
        long rss = 0;
        int threads = 0;
        foreach (string line in File.ReadLines($"/proc/{processId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }
        int fds = Directory.GetFileSystemEntries($"/proc/{processId}/fd").Length;
        return (rss, threads, fds);
    }
}
