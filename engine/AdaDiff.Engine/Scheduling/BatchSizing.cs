using System.Diagnostics;
using System.Globalization;
using System.Text;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Engine.Scheduling;

/// <summary>
/// Derives a scheduler's batch limits from what the device can batch: <see cref="Measure"/> times full-depth passes
/// at doubling batch sizes, <see cref="Choose"/> (pure: measurements in, limits out) picks the rows per pass at the
/// knee of throughput, the smallest batch whose rows per second reach <see cref="DefaultKneeFraction"/> of the best
/// measured. Past the knee a bigger pass adds little throughput and makes every step of every generation slower.
/// </summary>
public static class BatchSizing
{
    /// <summary>Fraction of the best measured rows per second the chosen batch must reach: 0.9.</summary>
    public const double DefaultKneeFraction = 0.9;

    /// <summary>
    /// <see cref="Measure"/> stops after the first batch whose pass takes this long: 0.2 s. A step slower than that
    /// streams sluggishly whatever it gains in throughput, and it bounds the measurement's share of the start-up.
    /// </summary>
    public const double DefaultMaxPassSeconds = 0.2;

    /// <summary>
    /// <see cref="Measure"/> also stops once two batch sizes in a row raised the best rows per second by less than
    /// this factor (5 %): throughput has levelled off.
    /// </summary>
    public const double PlateauGain = 1.05;

    /// <summary>
    /// Chooses the limits from <paramref name="timings"/> (any order, at least one): rows per pass at the knee, within
    /// <paramref name="minRows"/> (e.g. the rows of the largest request the server accepts, which must fit one pass)
    /// and <paramref name="maxRows"/>; active generations equal to the rows (a generation has at least one row and
    /// admission is by rows).
    /// </summary>
    public static BatchLimits Choose(IReadOnlyList<PassTiming> timings, int minRows, int maxRows, double kneeFraction = DefaultKneeFraction)
    {
        ArgumentNullException.ThrowIfNull(timings);
        ArgumentOutOfRangeException.ThrowIfLessThan(minRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, minRows);
        if (!(kneeFraction > 0 && kneeFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(kneeFraction), kneeFraction, "must be in (0, 1]");
        }
        if (timings.Count == 0)
        {
            throw new ArgumentException("at least one measured pass is needed", nameof(timings));
        }
        PassTiming[] sorted = [.. timings];
        foreach (PassTiming timing in sorted)
        {
            if (timing.Rows < 1 || !(timing.Seconds > 0) || !double.IsFinite(timing.Seconds))
            {
                throw new ArgumentException($"a pass of {timing.Rows} rows in {timing.Seconds} s is not a measurement", nameof(timings));
            }
        }
        Array.Sort(sorted, static (a, b) => a.Rows.CompareTo(b.Rows));

        PassTiming best = sorted[0];
        foreach (PassTiming timing in sorted)
        {
            if (timing.RowsPerSecond > best.RowsPerSecond)
            {
                best = timing;
            }
        }
        PassTiming knee = best;
        foreach (PassTiming timing in sorted)
        {
            if (timing.RowsPerSecond >= kneeFraction * best.RowsPerSecond)
            {
                knee = timing;
                break;
            }
        }
        int rows = Math.Clamp(knee.Rows, minRows, maxRows);
        return new BatchLimits(rows, rows, knee.Rows, knee.RowsPerSecond, best.Rows, best.RowsPerSecond, kneeFraction);
    }

    /// <summary>
    /// True when <see cref="Measure"/> has measured enough: the last pass took <paramref name="maxPassSeconds"/> or
    /// more, or the last two batch sizes each raised the best rows per second by less than <see cref="PlateauGain"/>.
    /// <paramref name="timings"/> are in the order measured (growing rows).
    /// </summary>
    public static bool MeasuredEnough(IReadOnlyList<PassTiming> timings, double maxPassSeconds = DefaultMaxPassSeconds)
    {
        ArgumentNullException.ThrowIfNull(timings);
        if (timings.Count == 0)
        {
            return false;
        }
        if (timings[^1].Seconds >= maxPassSeconds)
        {
            return true;
        }
        double best = timings[0].RowsPerSecond;
        int stale = 0;
        for (int i = 1; i < timings.Count; i++)
        {
            double rate = timings[i].RowsPerSecond;
            stale = rate < best * PlateauGain ? stale + 1 : 0;
            best = Math.Max(best, rate);
        }
        return stale >= 2;
    }

    /// <summary>
    /// Times full-depth passes (<see cref="BackendWarmup.Run"/>: embed, every layer with its certainty, the head) at
    /// 1, 2, 4, … rows up to <paramref name="maxRows"/>, until <see cref="MeasuredEnough"/>. Each size runs once
    /// untimed (the backend's buffers grow to the new shape), then <paramref name="repeats"/> times; the fastest
    /// counts, since other work on the machine only ever adds time. Blocking: call it at load, before serving.
    /// </summary>
    public static IReadOnlyList<PassTiming> Measure(IDenoiserBackend backend, int maxRows, double maxPassSeconds = DefaultMaxPassSeconds, int repeats = 3)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        List<PassTiming> timings = [];
        for (int rows = 1; rows <= maxRows; rows *= 2)
        {
            BackendWarmup.Run(backend, rows);
            double fastest = double.PositiveInfinity;
            for (int i = 0; i < repeats; i++)
            {
                long start = Stopwatch.GetTimestamp();
                BackendWarmup.Run(backend, rows);
                fastest = Math.Min(fastest, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
            timings.Add(new PassTiming(rows, Math.Max(fastest, 1e-9)));
            if (MeasuredEnough(timings, maxPassSeconds) || rows > maxRows / 2)
            {
                break;
            }
        }
        return timings;
    }

    /// <summary>The timings as one line for a log: "1 rows 2.40 ms (417 rows/s), 2 rows …".</summary>
    public static string Describe(IReadOnlyList<PassTiming> timings)
    {
        ArgumentNullException.ThrowIfNull(timings);
        var text = new StringBuilder();
        foreach (PassTiming timing in timings)
        {
            if (text.Length > 0)
            {
                text.Append(", ");
            }
            text.Append(CultureInfo.InvariantCulture, $"{timing.Rows} rows {timing.Seconds * 1000:F2} ms ({timing.RowsPerSecond:F0} rows/s)");
        }
        return text.ToString();
    }
}
