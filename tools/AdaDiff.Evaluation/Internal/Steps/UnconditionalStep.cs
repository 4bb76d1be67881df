using AdaDiff.Engine;

namespace AdaDiff.Evaluation.Internal.Steps;

/// <summary>Unconditional samples at full depth and at the chosen threshold, for the unconditional grids (<c>--unconditional 0</c> skips it).</summary>
internal sealed class UnconditionalStep : IEvalStep
{
    public bool IsEnabled(EvalRun run) => run.Options.UnconditionalSamples > 0 && run.Manifest.SupportsUnconditional;

    public async Task RunAsync(EvalRun run, CancellationToken cancellationToken)
    {
        float threshold = run.Main.Threshold;
        MeasuredRun full = await run.MeasureAsync(run.Plan.Unconditional(ExitPolicySettings.Full, "uncond-full"), null, cancellationToken);
        MeasuredRun adaptive = await run.MeasureAsync(run.Plan.Unconditional(run.Plan.AdaptivePolicy(threshold), $"uncond-t{Plan.Tag(threshold)}"), full, cancellationToken);
        run.Unconditional = (full, adaptive);
    }
}
