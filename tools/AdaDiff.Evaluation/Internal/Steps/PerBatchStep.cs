namespace AdaDiff.Evaluation.Internal.Steps;

/// <summary>The official code's per-batch exit decision at every swept threshold (<c>--no-per-batch</c> skips it).</summary>
internal sealed class PerBatchStep : IEvalStep
{
    public bool IsEnabled(EvalRun run) => run.Options.PerBatch;

    public async Task RunAsync(EvalRun run, CancellationToken cancellationToken)
    {
        EvalOptions o = run.Options;
        foreach (float t in run.Sweep.Thresholds)
        {
            run.PerBatch.Add(await run.MeasureAsync(run.Plan.Adaptive(o.Sampler, o.Steps, o.Samples, t, perBatch: true), run.Main.Full, cancellationToken));
        }
    }
}
