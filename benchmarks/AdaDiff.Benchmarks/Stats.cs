using System.Globalization;

namespace AdaDiff.Benchmarks;

internal static class Stats
{
    public static double Median(IReadOnlyList<double> values)
    {
        double[] sorted = [.. values];
        Array.Sort(sorted);
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The 1-minute load average (other processes on a shared machine), as /proc/loadavg gives it.</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>Resident set size of this process in MB (VmRSS of /proc/self/status).</summary>
    public static double RssMegabytes()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        return 0;
    }

    /// <summary>Threads of this process (/proc/self/task).</summary>
    public static int Threads() => Directory.GetDirectories("/proc/self/task").Length;
}
