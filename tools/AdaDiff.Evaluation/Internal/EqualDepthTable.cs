using AdaDiff.Evaluation.Metrics;

namespace AdaDiff.Evaluation.Internal;

/// <summary>Each per-sample point beside the other policies' FID-proxy and accuracy interpolated to its mean depth.</summary>
internal static class EqualDepthTable
{
    public static List<EqualDepthRecord> Compute(IEnumerable<MeasuredRun> perSample, IEnumerable<MeasuredRun> perBatch, IEnumerable<MeasuredRun> statics, MeasuredRun full, IEnumerable<MeasuredRun> baseline, FeatureStatistics? test = null, int seed = 0)
    {
        List<MeasuredRun> staticByDepth = [.. statics.Append(full).OrderBy(r => r.Record.MeanLayers)];
        var staticRuns = statics.Append(full).Select(r => r.Record).ToList();
        var batchCurve = Curves.Curve(perBatch.Select(r => r.Record), r => r.Fid);
        var staticCurve = Curves.Curve(staticRuns, r => r.Fid);
        var staticAccuracy = Curves.Curve(staticRuns, r => r.ClassAccuracy);
        var baselineCurve = Curves.Curve(baseline.Select(r => r.Record), r => r.Fid);
        var rows = new List<EqualDepthRecord>();
        foreach (MeasuredRun r in perSample)
        {
            double m = r.Record.MeanLayers;
            rows.Add(new EqualDepthRecord(r.Record.Threshold ?? 0, m, r.Record.Fid ?? double.NaN,
                Curves.Interpolate(batchCurve, m), Curves.Interpolate(staticCurve, m), Curves.Interpolate(baselineCurve, m),
                r.Record.ClassAccuracy, Curves.Interpolate(staticAccuracy, m))
            {
                StaticDifference = test is null ? null : StaticDifference(r, staticByDepth, test, seed),
            });
        }
        return rows;
    }

    /// <summary>
    /// The paired interval of FID(per-sample) − FID(static at its depth): static is (1 − w)·FID(lo) + w·FID(hi) of the two
    /// truncation runs around the point's mean depth, every FID recomputed on the same resampled image indices. Null
    /// when no two static runs bracket the depth or the runs do not hold the same number of paired images.
    /// </summary>
    public static ConfidenceInterval? StaticDifference(MeasuredRun point, IReadOnlyList<MeasuredRun> staticByDepth, FeatureStatistics test, int seed)
    {
        double m = point.Record.MeanLayers;
        int hi = -1;
        for (int i = 1; i < staticByDepth.Count; i++)
        {
            if (staticByDepth[i - 1].Record.MeanLayers <= m && m <= staticByDepth[i].Record.MeanLayers)
            {
                hi = i;
                break;
            }
        }
        if (hi < 0)
        {
            return null;
        }
        MeasuredRun lower = staticByDepth[hi - 1], upper = staticByDepth[hi];
        int n = point.Record.Samples;
        if (n < 2 || lower.Record.Samples != n || upper.Record.Samples != n || point.Features.Length == 0 || lower.Features.Length != point.Features.Length || upper.Features.Length != point.Features.Length)
        {
            return null;
        }
        double span = upper.Record.MeanLayers - lower.Record.MeanLayers;
        double w = span > 0 ? (m - lower.Record.MeanLayers) / span : 0;
        int dim = point.Features.Length / n;
        double Fid(double[] features, int[] indices) => FrechetDistance.Compute(FeatureStatistics.FromSubset(features, dim, indices), test);
        return Bootstrap.Paired(n,
            indices => Fid(point.Features, indices),
            indices => ((1 - w) * Fid(lower.Features, indices)) + (w == 0 ? 0 : w * Fid(upper.Features, indices)),
            Scorer.IntervalResamples, seed);
    }
}
