using System.Globalization;

namespace AdaDiff.Evaluation.Internal.Steps;

/// <summary>
/// The main sampler at full depth, then per-sample exits at every threshold; chooses the threshold of the targets,
/// pictures and comparisons (given, or the fewest layers within the quality bar) and records its exits per step.
/// </summary>
internal sealed class MainSweepStep : IEvalStep
{
    public bool IsEnabled(EvalRun run) => true;

    public async Task RunAsync(EvalRun run, CancellationToken cancellationToken)
    {
        EvalOptions o = run.Options;
        MeasuredRun full = await run.MeasureAsync(run.Plan.Full(o.Sampler, o.Steps, o.Samples), null, cancellationToken);
        var perSample = new List<MeasuredRun>();
        foreach (float t in run.Sweep.Thresholds)
        {
            perSample.Add(await run.MeasureAsync(run.Plan.Adaptive(o.Sampler, o.Steps, o.Samples, t, perBatch: false), full, cancellationToken));
        }

        SelectionRecord selection = o.Threshold is float chosen
            ? ThresholdSelection.Given(full.Record, perSample.First(r => r.Record.Threshold == chosen).Record)
            : ThresholdSelection.Choose(full.Record, [.. perSample.Select(r => r.Record)]);
        selection = selection with { MinLayers = run.MinLayers };
        MeasuredRun pictureRun = perSample.First(r => r.Record.Threshold == selection.Threshold);
        run.Main = new MainSweep(full, perSample, selection, pictureRun, Heatmap(pictureRun.Set));
        run.Log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[eval] chosen threshold {selection.Threshold:0.####} ({selection.Rule}; quality bar {(selection.MetQualityBar ? "met" : "not met")} on N = {o.Samples})"));
    }

    /// <summary>The fraction of images exiting at each layer at each step, and each step's mean exit layer.</summary>
    private static HeatmapRecord Heatmap(GeneratedSet set)
    {
        int steps = set.Timesteps.Length, depth = set.ExitCounts.GetLength(1);
        var fractions = new double[steps][];
        var mean = new double[steps];
        for (int s = 0; s < steps; s++)
        {
            fractions[s] = new double[depth];
            long total = 0;
            double sum = 0;
            for (int l = 0; l < depth; l++)
            {
                total += set.ExitCounts[s, l];
                sum += set.ExitCounts[s, l] * (double)(l + 1);
            }
            for (int l = 0; l < depth; l++)
            {
                fractions[s][l] = total == 0 ? 0 : (double)set.ExitCounts[s, l] / total;
            }
            mean[s] = total == 0 ? 0 : sum / total;
        }
        return new HeatmapRecord(set.Spec.Id, set.Timesteps, fractions, mean);
    }
}
