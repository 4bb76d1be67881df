namespace AdaDiff.Evaluation.Internal.Steps;

/// <summary>Fewer steps: DDPM, DDIM and DPM-Solver++ each with and without exits at the chosen threshold (<c>--no-steps</c> skips it).</summary>
internal sealed class SamplerComparisonStep : IEvalStep
{
    public bool IsEnabled(EvalRun run) => run.Options.StepComparison;

    public async Task RunAsync(EvalRun run, CancellationToken cancellationToken)
    {
        EvalOptions o = run.Options;
        foreach ((Engine.SamplerKind sampler, int steps, int samples) in run.Plan.SamplerComparisons)
        {
            if (sampler == o.Sampler && steps == o.Steps && samples == o.Samples)
            {
                continue; // the main sweep's own full depth and chosen threshold stand for it
            }
            MeasuredRun stepFull = await run.MeasureAsync(run.Plan.Full(sampler, steps, samples, group: "steps"), null, cancellationToken);
            await run.MeasureAsync(run.Plan.Adaptive(sampler, steps, samples, run.Main.Threshold, perBatch: false, group: "steps"), stepFull, cancellationToken);
        }
    }
}
