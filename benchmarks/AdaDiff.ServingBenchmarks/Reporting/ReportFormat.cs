using System.Globalization;

namespace AdaDiff.ServingBenchmarks.Reporting;

/// <summary>How the reports write numbers: invariant culture, "—" for what was not measured, ranges over the rounds.</summary>
internal static class ReportFormat
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary><paramref name="v"/> in <paramref name="format"/>, or "—" when it is not finite.</summary>
    public static string N(double v, string format) => double.IsFinite(v) ? v.ToString(format, Inv) : "—";

    /// <summary>The median with the smallest and largest round in brackets (the median alone for one round).</summary>
    public static string WithRange(Spread? s, string format) => s is null || s.Count == 0
        ? "—"
        : s.Count == 1 ? N(s.Median, format) : $"{N(s.Median, format)} ({N(s.Min, format)}–{N(s.Max, format)})";

    /// <summary>A fraction as a percentage, with its range.</summary>
    public static string Share(Spread s) => s.Count == 0
        ? "—"
        : s.Count == 1 ? string.Create(Inv, $"{s.Median * 100:F1} %") : string.Create(Inv, $"{s.Median * 100:F1} % ({s.Min * 100:F1}–{s.Max * 100:F1})");

    /// <summary>A ratio as "1.23×", with its range.</summary>
    public static string Ratio(Spread s) => s.Count == 0
        ? "—"
        : s.Count == 1 ? string.Create(Inv, $"{s.Median:F2}×") : string.Create(Inv, $"{s.Median:F2}× ({s.Min:F2}–{s.Max:F2})");

    /// <summary>GFLOP/s, whole numbers, with their range.</summary>
    public static string Gflops(Spread s) => WithRange(s, "F0");

    /// <summary>The path's name in the tables.</summary>
    public static string PathText(BenchPath path) => path switch
    {
        BenchPath.Server => "server",
        BenchPath.InProcess => "in-process",
        _ => "PyTorch",
    };
}
