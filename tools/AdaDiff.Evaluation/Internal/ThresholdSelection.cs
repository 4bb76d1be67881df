namespace AdaDiff.Evaluation.Internal;

/// <summary>
/// Chooses the default threshold from a sweep: the one that runs the fewest layers while its FID-proxy stays within
/// <see cref="MaxFidRatio"/> of full depth and its class accuracy within <see cref="MaxAccuracyDrop"/> of it (the
/// issue's quality bar), with a margin on the accuracy of one binomial standard error of full depth's accuracy at the
/// sweep's sample size. When no swept point qualifies it takes the most conservative point (most layers).
/// </summary>
/// <remarks>
/// The margin is there because the threshold is chosen on the sweep (N = 500 by default) and judged on a larger run
/// (N = 2,000): a point that only just meets the bar on the sweep misses it on the larger run about half the time. At
/// an accuracy near 94% one standard error is 1.1 points at N = 500. Judging (<see cref="TargetChecks"/>) uses the bar
/// without the margin.
/// </remarks>
internal static class ThresholdSelection
{
    /// <summary>FID-proxy may be at most this multiple of the full-depth model's.</summary>
    public const double MaxFidRatio = 1.05;

    /// <summary>Class accuracy may drop at most this much (absolute) below full depth.</summary>
    public const double MaxAccuracyDrop = 0.02;

    /// <summary>The rule in words, for the report.</summary>
    public const string Rule = "fewest mean layers with FID-proxy ≤ 1.05× and class accuracy ≥ full − 2 points + one standard error of full's accuracy at the sweep's N (most layers when none qualifies)";

    /// <summary>Picks among <paramref name="adaptive"/> (per-sample runs of the same seeds as <paramref name="full"/>).</summary>
    public static SelectionRecord Choose(RunRecord full, IReadOnlyList<RunRecord> adaptive)
    {
        ArgumentNullException.ThrowIfNull(full);
        ArgumentNullException.ThrowIfNull(adaptive);
        if (adaptive.Count == 0)
        {
            throw new ArgumentException("no adaptive runs to choose a threshold from", nameof(adaptive));
        }
        double margin = AccuracyStandardError(full);
        RunRecord? best = adaptive.Where(r => MeetsBar(full, r, margin)).OrderBy(r => r.MeanLayers).ThenByDescending(r => r.Threshold).FirstOrDefault();
        bool met = best is not null;
        best ??= adaptive.OrderByDescending(r => r.MeanLayers).ThenByDescending(r => r.Threshold).First();
        return new SelectionRecord(best.Threshold ?? 0f, best.Id, Rule, met, MaxFidRatio, MaxAccuracyDrop, best.Samples) { AccuracyMargin = margin };
    }

    /// <summary>Records a threshold given by the user, and whether its sweep run meets the bar (without a margin).</summary>
    public static SelectionRecord Given(RunRecord full, RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new SelectionRecord(run.Threshold ?? 0f, run.Id, "given with --threshold", MeetsBar(full, run), MaxFidRatio, MaxAccuracyDrop, run.Samples);
    }

    /// <summary>
    /// Whether <paramref name="run"/> keeps the full model's quality by the bar: FID-proxy ≤ <see cref="MaxFidRatio"/>×
    /// full's, and class accuracy ≥ full's − <see cref="MaxAccuracyDrop"/> + <paramref name="accuracyMargin"/>.
    /// </summary>
    public static bool MeetsBar(RunRecord full, RunRecord run, double accuracyMargin = 0)
    {
        ArgumentNullException.ThrowIfNull(full);
        ArgumentNullException.ThrowIfNull(run);
        return FidWithinBar(run.Fid, full.Fid) && AccuracyWithinBar(run.ClassAccuracy, full.ClassAccuracy, accuracyMargin);
    }

    /// <summary>FID-proxy <paramref name="fid"/> is at most <see cref="MaxFidRatio"/>× <paramref name="fullFid"/>.</summary>
    public static bool FidWithinBar(double? fid, double? fullFid) => fid is double f && fullFid is double ff && f <= MaxFidRatio * ff;

    /// <summary>Accuracy <paramref name="accuracy"/> is at least <paramref name="fullAccuracy"/> − <see cref="MaxAccuracyDrop"/> + <paramref name="margin"/>.</summary>
    public static bool AccuracyWithinBar(double? accuracy, double? fullAccuracy, double margin = 0) =>
        accuracy is double a && fullAccuracy is double fa && a >= fa - MaxAccuracyDrop + margin - 1e-12;

    /// <summary>√(p(1 − p)/N) of full depth's class accuracy p on its N images; 0 when either is unknown.</summary>
    public static double AccuracyStandardError(RunRecord full)
    {
        ArgumentNullException.ThrowIfNull(full);
        return full.ClassAccuracy is double p && full.Samples > 0 ? Math.Sqrt(p * (1 - p) / full.Samples) : 0;
    }
}
