namespace AdaDiff.Evaluation.Internal;

/// <summary>Each per-sample point beside the other policies' FID-proxy and accuracy interpolated to its mean depth.</summary>
internal static class EqualDepthTable
{
    public static List<EqualDepthRecord> Compute(IEnumerable<MeasuredRun> perSample, IEnumerable<MeasuredRun> perBatch, IEnumerable<MeasuredRun> statics, MeasuredRun full, IEnumerable<MeasuredRun> baseline)
    {
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
                r.Record.ClassAccuracy, Curves.Interpolate(staticAccuracy, m)));
        }
        return rows;
    }
}
