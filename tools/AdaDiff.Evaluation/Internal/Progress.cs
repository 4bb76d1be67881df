using System.Diagnostics;
using System.Globalization;

namespace AdaDiff.Evaluation.Internal;

/// <summary>
/// Counts image-steps done against a planned total and prints one progress line with an ETA to a writer,
/// at most every <see cref="Interval"/>. Thread-safe (jobs report from several threads).
/// </summary>
internal sealed class Progress(TextWriter log, long plannedWork)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly Lock gate = new();
    private long done;
    private long planned = Math.Max(plannedWork, 1);
    private TimeSpan lastPrint = TimeSpan.MinValue;
    private string stage = "";

    /// <summary>Sets the name of what runs now and prints a line.</summary>
    public void Stage(string name)
    {
        lock (gate)
        {
            stage = name;
            Print();
        }
    }

    /// <summary>Adds to or removes from the planned total (when later stages become known).</summary>
    public void Replan(long delta)
    {
        lock (gate)
        {
            planned = Math.Max(planned + delta, done + 1);
        }
    }

    /// <summary>Records <paramref name="work"/> image-steps done.</summary>
    public void Add(long work)
    {
        lock (gate)
        {
            done += work;
            if (clock.Elapsed - lastPrint >= Interval)
            {
                Print();
            }
        }
    }

    private void Print()
    {
        lastPrint = clock.Elapsed;
        double fraction = Math.Min(1.0, (double)done / planned);
        double seconds = clock.Elapsed.TotalSeconds;
        string eta = done > 0 ? Format(seconds * (planned - done) / done) : "?";
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[eval] {fraction,6:P1} {stage} | {done / Math.Max(seconds, 1e-9):F0} image-steps/s | elapsed {Format(seconds)} | ETA {eta}"));
    }

    private static string Format(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : $"{t.Minutes}m{t.Seconds:D2}s";
    }
}
