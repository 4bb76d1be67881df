namespace AdaDiff.Evaluation.Internal.Steps;

/// <summary>
/// A timestep schedule at the chosen threshold's depth: does the per-sample decision beat a depth that depends on the
/// step alone? (<c>--no-schedule</c> skips it.)
/// </summary>
internal sealed class TimestepScheduleStep : IEvalStep
{
    public bool IsEnabled(EvalRun run) => run.Options.TimestepSchedule;

    public async Task RunAsync(EvalRun run, CancellationToken cancellationToken) =>
        await run.MeasureAsync(run.Plan.Schedule(ScheduleOf(run.Main.Heatmap, run.Manifest.Depth), run.Main.Threshold), run.Main.Full, cancellationToken);

    /// <summary>The depth of each step: the mean exit layer of the per-sample run at that step, rounded half up, in 1..depth.</summary>
    internal static int[] ScheduleOf(HeatmapRecord heatmap, int depth) =>
        [.. heatmap.MeanExitLayer.Select(m => Math.Clamp((int)Math.Round(m, MidpointRounding.AwayFromZero), 1, depth))];
}
