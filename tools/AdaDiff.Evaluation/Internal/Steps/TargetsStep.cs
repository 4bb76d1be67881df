namespace AdaDiff.Evaluation.Internal.Steps;

/// <summary>
/// The targets' two runs: full depth and the chosen threshold on <c>--target-samples</c> images (the sweep's seeds,
/// extended); without a sample size of their own they are the sweep's runs.
/// </summary>
internal sealed class TargetsStep : IEvalStep
{
    public bool IsEnabled(EvalRun run) => true;

    public async Task RunAsync(EvalRun run, CancellationToken cancellationToken)
    {
        EvalOptions o = run.Options;
        if (!run.Plan.HasTargetRuns)
        {
            run.Targets = (run.Main.Full, run.Main.PictureRun);
            return;
        }
        MeasuredRun full = await run.MeasureAsync(run.Plan.Full(o.Sampler, o.Steps, o.TargetSamples, group: "target"), null, cancellationToken);
        MeasuredRun adaptive = await run.MeasureAsync(run.Plan.Adaptive(o.Sampler, o.Steps, o.TargetSamples, run.Main.Threshold, perBatch: false, group: "target"), full, cancellationToken);
        run.Targets = (full, adaptive);
    }
}
