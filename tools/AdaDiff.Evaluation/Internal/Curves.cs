namespace AdaDiff.Evaluation.Internal;

/// <summary>
/// Sweeps as curves of a metric against mean depth, and linear interpolation along them: how the report compares
/// policies at equal mean depth (the evaluation's equal-depth table, the report's sections and <c>eval compare</c>).
/// </summary>
internal static class Curves
{
    /// <summary>Linear interpolation of y at <paramref name="x"/> along points sorted by x; null outside their range.</summary>
    public static double? Interpolate(IReadOnlyList<(double X, double Y)> points, double x)
    {
        var sorted = points.OrderBy(p => p.X).ToList();
        for (int i = 0; i < sorted.Count; i++)
        {
            if (Math.Abs(sorted[i].X - x) < 1e-9)
            {
                return sorted[i].Y;
            }
            if (i > 0 && sorted[i - 1].X < x && x < sorted[i].X)
            {
                double w = (x - sorted[i - 1].X) / (sorted[i].X - sorted[i - 1].X);
                return sorted[i - 1].Y + (w * (sorted[i].Y - sorted[i - 1].Y));
            }
        }
        return null;
    }

    /// <summary>The runs of <paramref name="group"/> with the report's main sampler, steps and sample size, by mean depth.</summary>
    public static List<RunRecord> Sweep(EvalReport report, string group) =>
        [.. report.Runs.Where(r => r.Group == group && r.Samples == report.Settings.Samples && r.Sampler == report.Settings.Sampler && r.Steps == report.Settings.Steps).OrderBy(r => r.MeanLayers)];

    /// <summary>The points (mean layers, <paramref name="y"/>) of <paramref name="runs"/> that measured it, for <see cref="Interpolate"/>.</summary>
    public static List<(double X, double Y)> Curve(IEnumerable<RunRecord> runs, Func<RunRecord, double?> y) =>
        [.. runs.Where(r => y(r) is not null).Select(r => (r.MeanLayers, y(r)!.Value))];
}
