using AdaDiff.Evaluation.Metrics;
using System.Globalization;

namespace AdaDiff.Evaluation.Internal;

/// <summary>The targets for the shipped model, judged on measured runs (never on estimates).</summary>
internal static class TargetChecks
{
    /// <summary>Full depth: lowest acceptable class accuracy.</summary>
    public const double MinFullAccuracy = 0.85;

    /// <summary>Full depth: highest acceptable FID-proxy as a multiple of the real-vs-real floor.</summary>
    public const double MaxFullFidOverFloor = 3.0;

    /// <summary>At the chosen threshold: smallest acceptable fraction of layers saved.</summary>
    public const double MinLayersSaved = 0.45;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Judges <paramref name="full"/> and <paramref name="adaptive"/> (same seeds and sample size) against the
    /// targets; <paramref name="atEqualDepth"/> is the sweep's row for the chosen threshold (null when not swept).
    /// </summary>
    public static IReadOnlyList<TargetCheck> Judge(RunRecord full, RunRecord adaptive, double? floor, EqualDepthRecord? atEqualDepth, int depth)
    {
        ArgumentNullException.ThrowIfNull(full);
        ArgumentNullException.ThrowIfNull(adaptive);
        var checks = new List<TargetCheck>();
        double fullAccuracy = full.ClassAccuracy ?? double.NaN;
        checks.Add(new TargetCheck($"full depth: class accuracy ≥ {MinFullAccuracy:P0}", Pct(fullAccuracy), fullAccuracy >= MinFullAccuracy));

        double fullFid = full.Fid ?? double.NaN;
        double overFloor = floor is double f && f > 0 ? fullFid / f : double.NaN;
        checks.Add(new TargetCheck($"full depth: FID-proxy ≤ {MaxFullFidOverFloor:0.#}× the real-vs-real floor",
            string.Create(Inv, $"{fullFid:F3} = {overFloor:F2}× the floor {floor ?? double.NaN:F3}"), overFloor <= MaxFullFidOverFloor));

        double saved = adaptive.AccelerationRatio;
        checks.Add(new TargetCheck($"threshold {adaptive.Threshold:0.####}: ≥ {MinLayersSaved:P0} fewer layers than full depth",
            string.Create(Inv, $"{saved:P1} fewer ({adaptive.MeanLayers:F2} of {depth} layers)"), saved >= MinLayersSaved));

        double fid = adaptive.Fid ?? double.NaN;
        checks.Add(new TargetCheck($"threshold {adaptive.Threshold:0.####}: FID-proxy ≤ {ThresholdSelection.MaxFidRatio:0.00}× full depth's",
            string.Create(Inv, $"{fid:F3} = {fid / fullFid:F3}× full ({fullFid:F3})"), ThresholdSelection.FidWithinBar(adaptive.Fid, full.Fid)));

        double accuracy = adaptive.ClassAccuracy ?? double.NaN;
        checks.Add(new TargetCheck($"threshold {adaptive.Threshold:0.####}: class accuracy within {ThresholdSelection.MaxAccuracyDrop * 100:0} points of full depth",
            string.Create(Inv, $"{Pct(accuracy)} vs {Pct(fullAccuracy)} ({(accuracy - fullAccuracy) * 100:+0.0;-0.0;0.0} points)"),
            ThresholdSelection.AccuracyWithinBar(adaptive.ClassAccuracy, full.ClassAccuracy)));

        if (atEqualDepth is { FidStatic: double fidStatic })
        {
            // Met only when the paired interval of the difference lies below 0; a point estimate alone decides nothing.
            ConfidenceInterval? d = atEqualDepth.StaticDifference;
            string difference = d is null ? "no interval" : string.Create(Inv, $"Δ {d.Estimate:+0.000;-0.000} [{d.Low:+0.000;-0.000}, {d.High:+0.000;-0.000}] (95% paired bootstrap)");
            checks.Add(new TargetCheck("per-sample exits beat static truncation at equal mean depth (FID-proxy, sweep sample; the interval of the difference below 0)",
                string.Create(Inv, $"{atEqualDepth.FidPerSample:F3} vs {fidStatic:F3} at {atEqualDepth.MeanLayers:F2} layers, {difference}"), d is { High: < 0 }));
        }
        else
        {
            checks.Add(new TargetCheck("per-sample exits beat static truncation at equal mean depth (FID-proxy, sweep sample; the interval of the difference below 0)",
                "not measured: no static truncation bracketing this depth (run without --no-static)", false));
        }
        return checks;
    }

    private static string Pct(double value) => double.IsFinite(value) ? value.ToString("P1", Inv) : "—";
}
