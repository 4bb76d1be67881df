namespace AdaDiff.Evaluation.Internal.Steps;

/// <summary>
/// A second package (e.g. exit heads without the layer-wise loss), swept the same way at thresholds its own
/// certainty probe picks for the same <c>--auto-targets</c> (given <c>--thresholds</c> are swept as they are).
/// </summary>
internal sealed class BaselineStep : IEvalStep
{
    public bool IsEnabled(EvalRun run) => run.Options.BaselineModel is not null;

    public async Task RunAsync(EvalRun run, CancellationToken cancellationToken)
    {
        EvalOptions o = run.Options;
        string path = o.BaselineModel!;
        using Engine.Backends.IDenoiserBackend other = Evaluator.OpenBackend(o, path);
        Evaluator.CheckComparable(other.Manifest, path, run.Manifest);
        // Its certainties are calibrated differently: the same thresholds would land at other depths.
        ThresholdSweep sweep = ThresholdSweep.Choose(other, run.Test, o, run.MinLayers, run.Log);
        run.BaselineProbe = sweep.Record;
        run.Progress.Replan((long)(sweep.Thresholds.Length - run.Sweep.Thresholds.Length) * o.Samples * o.Steps);
        MeasuredRun full = await run.MeasureAsync(run.Plan.Full(o.Sampler, o.Steps, o.Samples, group: "baseline", package: o.BaselineLabel), null, cancellationToken, other);
        run.Baseline.Add(full);
        foreach (float t in sweep.Thresholds)
        {
            run.Baseline.Add(await run.MeasureAsync(run.Plan.Adaptive(o.Sampler, o.Steps, o.Samples, t, perBatch: false, group: "baseline", package: o.BaselineLabel), full, cancellationToken, other));
        }
    }
}
