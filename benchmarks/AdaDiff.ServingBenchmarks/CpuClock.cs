using System.Diagnostics;
using System.Globalization;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// CPU time, to say where a configuration's cycles went: a process's user + system time
/// (<see cref="Process.TotalProcessorTime"/>, its threads together), and the whole machine's busy time from
/// /proc/stat (every CPU's user, nice, system, irq, softirq and steal ticks), which also shows work of other processes.
/// </summary>
internal static class CpuClock
{
    /// <summary>Clock ticks per second of /proc/stat (USER_HZ, 100 on every Linux this runs on).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>Seconds of CPU this process has used so far.</summary>
    public static double Self()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>Seconds of CPU <paramref name="process"/> has used so far; NaN once it has exited.</summary>
    public static double Of(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        try
        {
            process.Refresh();
            return process.TotalProcessorTime.TotalSeconds;
        }
        catch (InvalidOperationException)
        {
            return double.NaN;
        }
    }

    /// <summary>Busy CPU seconds of the whole machine so far (all CPUs); NaN where /proc/stat cannot be read.</summary>
    public static double MachineBusy()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            return ParseBusySeconds(reader.ReadLine() ?? "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }

    /// <summary>
    /// Busy seconds in /proc/stat's first line (<c>cpu  user nice system idle iowait irq softirq steal …</c>): all but
    /// idle and iowait (guest time is already in user). NaN when the line is not that.
    /// </summary>
    public static double ParseBusySeconds(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 9 || fields[0] != "cpu")
        {
            return double.NaN;
        }
        double busy = 0;
        foreach (int i in new[] { 1, 2, 3, 6, 7, 8 })
        {
            if (!long.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks))
            {
                return double.NaN;
            }
            busy += ticks;
        }
        return busy / TicksPerSecond;
    }
}
