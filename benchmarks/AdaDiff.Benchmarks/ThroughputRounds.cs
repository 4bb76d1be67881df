using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Scheduling;

namespace AdaDiff.Benchmarks;

/// <summary>The sampling settings a comparison measures adaptive runs with (the package's unless the command line says).</summary>
internal sealed record ComparisonSampling(float Threshold, int MinLayers, float Guidance);

/// <summary>
/// Images/s at batch 1 and 16, full depth and adaptive. Every (exit mode, configuration) of a batch size is measured
/// once per round, in turn, so the ratios between configurations and between full depth and exits come from the same
/// stretch of time; the median of the rounds is reported with their range.
/// </summary>
internal static class ThroughputRounds
{
    private static readonly string[] Modes = ["full", "adaptive"];

    public static async Task<List<ThroughputRow>> MeasureAsync(ComparisonBackends backends, int steps, int rounds, ComparisonSampling sampling)
    {
        var throughput = new List<ThroughputRow>();
        foreach (int batch in new[] { 1, 16 })
        {
            throughput.AddRange(await MeasureBatchAsync(backends, batch, steps, rounds, sampling));
        }
        return throughput;
    }

    private static async Task<List<ThroughputRow>> MeasureBatchAsync(ComparisonBackends backends, int batch, int steps, int rounds, ComparisonSampling sampling)
    {
        GenerationRequest Request(string mode) => Workloads.Request(batch, steps, sampling.Guidance,
            mode == "full" ? ExitPolicySettings.Full : new ExitPolicySettings(ExitMode.Adaptive, sampling.Threshold, sampling.MinLayers, 0));
        IDenoiserBackend[] all = backends.Backends;
        int generations = batch == 1 ? 4 : 1;
        var samples = new double[Modes.Length, all.Length, rounds];
        var layers = new double[Modes.Length, all.Length];
        for (int mi = 0; mi < Modes.Length; mi++)
        {
            foreach (IDenoiserBackend backend in all)
            {
                await GenerationRunner.RunAsync(backend, Request(Modes[mi])); // warm-up
            }
        }
        for (int round = 0; round < rounds; round++)
        {
            for (int mi = 0; mi < Modes.Length; mi++)
            {
                for (int b = 0; b < all.Length; b++)
                {
                    (samples[mi, b, round], layers[mi, b]) = await Workloads.ImagesPerSecond(all[b], Request(Modes[mi]), generations, backends.Manifest.Depth);
                }
            }
        }
        var rows = new List<ThroughputRow>();
        for (int mi = 0; mi < Modes.Length; mi++)
        {
            for (int b = 0; b < all.Length; b++)
            {
                double[] s = [.. Enumerable.Range(0, rounds).Select(r => samples[mi, b, r])];
                rows.Add(new ThroughputRow(backends.Configs[b], batch, Modes[mi], Math.Round(Stats.Median(s), 2), Math.Round(s.Min(), 2), Math.Round(s.Max(), 2),
                    [.. s.Select(v => Math.Round(v, 2))], Math.Round(layers[mi, b], 2)));
                Console.WriteLine($"{backends.Configs[b],-22} batch {batch,2} {Modes[mi],-8} {Stats.Median(s),8:F2} images/s ({s.Min():F2}–{s.Max():F2})  mean depth {layers[mi, b]:F2}");
            }
        }
        return rows;
    }
}
