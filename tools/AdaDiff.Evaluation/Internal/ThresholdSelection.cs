namespace AdaDiff.Evaluation.Internal;

/// <summary>
/// Chooses the default threshold from a sweep: the one that runs the fewest layers while its FID-proxy stays within
/// <see cref="MaxFidRatio"/> of full depth and its class accuracy within <see cref="MaxAccuracyDrop"/> of it (the
/// issue's quality bar). When no swept point meets the bar it takes the most conservative point (most layers).
/// </summary>
internal static class ThresholdSelection
{
    /// <summary>FID-proxy may be at most this multiple of the full-depth model's.</summary>
    public const double MaxFidRatio = 1.05;

    /// <summary>Class accuracy may drop at most this much (absolute) below full depth.</summary>
    public const double MaxAccuracyDrop = 0.02;

    /// <summary>Picks among <paramref name="adaptive"/> (per-sample runs of the same seeds as <paramref name="full"/>).</summary>
    public static SelectionRecord Choose(RunRecord full, IReadOnlyList<RunRecord> adaptive)
    {
        ArgumentNullException.ThrowIfNull(full);
        ArgumentNullException.ThrowIfNull(adaptive);
        if (adaptive.Count == 0)
        {
            throw new ArgumentException("no adaptive runs to choose a threshold from", nameof(adaptive));
        }
        RunRecord? best = adaptive.Where(r => MeetsBar(full, r)).OrderBy(r => r.MeanLayers).ThenByDescending(r => r.Threshold).FirstOrDefault();
        bool met = best is not null;
        best ??= adaptive.OrderByDescending(r => r.MeanLayers).ThenByDescending(r => r.Threshold).First();
        return new SelectionRecord(best.Threshold ?? 0f, best.Id, Rule, met, MaxFidRatio, MaxAccuracyDrop, best.Samples);
    }

    /// <summary>Records a threshold given by the user, and whether its sweep run meets the bar.</summary>
    public static SelectionRecord Given(RunRecord full, RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new SelectionRecord(run.Threshold ?? 0f, run.Id, "given with --threshold", MeetsBar(full, run), MaxFidRatio, MaxAccuracyDrop, run.Samples);
    }

    /// <summary>The rule in words, for the report.</summary>
    public const string Rule = "fewest mean layers with FID-proxy ≤ 1.05× and class accuracy ≥ full − 2 points (most layers when none qualifies)";

    /// <summary>Whether <paramref name="run"/> keeps the full model's quality by the bar.</summary>
    public static bool MeetsBar(RunRecord full, RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(full);
        ArgumentNullException.ThrowIfNull(run);
        bool fidOk = run.Fid is double f && full.Fid is double ff && f <= MaxFidRatio * ff;
        bool accuracyOk = run.ClassAccuracy is double a && full.ClassAccuracy is double fa && a >= fa - MaxAccuracyDrop - 1e-12;
        return fidOk && accuracyOk;
    }
}
