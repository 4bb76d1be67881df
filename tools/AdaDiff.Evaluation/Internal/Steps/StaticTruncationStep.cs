namespace AdaDiff.Evaluation.Internal.Steps;

/// <summary>Static truncation (FIXED_DEPTH) at the whole depths around every per-sample point (<c>--no-static</c> skips it).</summary>
internal sealed class StaticTruncationStep : IEvalStep
{
    public bool IsEnabled(EvalRun run) => run.Options.StaticTruncation;

    public async Task RunAsync(EvalRun run, CancellationToken cancellationToken)
    {
        int depth = run.Manifest.Depth;
        var depths = new SortedSet<int>();
        foreach (MeasuredRun r in run.Main.PerSample)
        {
            depths.Add(Math.Clamp((int)Math.Floor(r.Record.MeanLayers), 1, depth));
            depths.Add(Math.Clamp((int)Math.Ceiling(r.Record.MeanLayers), 1, depth));
        }
        depths.Remove(depth); // full depth is measured already
        run.Progress.Replan(((long)depths.Count - run.Plan.EstimatedStaticRuns) * run.Options.Samples * run.Options.Steps);
        foreach (int d in depths)
        {
            run.Statics.Add(await run.MeasureAsync(run.Plan.Static(d), run.Main.Full, cancellationToken));
        }
    }
}
