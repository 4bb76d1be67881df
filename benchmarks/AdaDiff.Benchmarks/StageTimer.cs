using System.Diagnostics;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Benchmarks;

/// <summary>
/// Time per call of one backend at one batch size, median of repeated passes: every stage alone (RunLayer,
/// Certainty, Predict), and the fused calls an engine pass makes (Begin + RunLayers up to min_layers − 1,
/// RunLayerWithCertainty, PredictAtDepth of the whole network). And whole passes, timed as a whole, stage by stage
/// against fused, in alternation: on a loaded machine the median of short calls leaves out the preemptions that a
/// long call cannot, so sums of per-call medians flatter the per-stage path; passes compare like with like.
/// </summary>
internal static class StageTimer
{
    public static Dictionary<string, object> Measure(IDenoiserBackend backend, string config, int batch, int minLayers, int repeats)
    {
        ModelManifest m = backend.Manifest;
        float[] x = new float[batch * m.ImageSize];
        float[] t = new float[batch];
        int[] y = new int[batch];
        var random = new Random(1);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 2) - 1);
        }
        for (int i = 0; i < batch; i++)
        {
            t[i] = 500;
            y[i] = i % m.NumClasses;
        }
        int depth = m.Depth;
        int prefix = Math.Max(minLayers - 1, 1);
        var begin = new List<double>();
        var layer = new List<double>[depth];
        for (int i = 0; i < depth; i++)
        {
            layer[i] = [];
        }
        List<double> uem = [], head = [], whole = [], prefixed = [], layerWithUem = [];
        List<double> fullPerStage = [], fullFused = [], adaptivePerStage = [], adaptiveFused = [];
        var certainty = new float[batch];
        var eps = new float[batch * m.ImageSize];
        int[] rows = [.. Enumerable.Range(0, batch)];
        for (int r = -2; r < repeats; r++)
        {
            bool keep = r >= 0;
            // Stage by stage. The ONNX backend embeds with the first layer, so the embedding is reported as
            // Begin + layer 1 − layer 2 (both in-blocks of the same cost).
            long t0 = Stopwatch.GetTimestamp();
            using (IDenoiserBatch run = backend.Begin(x, t, y))
            {
                Add(begin, keep, t0);
                for (int i = 0; i < depth; i++)
                {
                    long l0 = Stopwatch.GetTimestamp();
                    run.RunLayer();
                    Add(layer[i], keep, l0);
                    long u0 = Stopwatch.GetTimestamp();
                    run.Certainty(certainty);
                    Add(uem, keep, u0);
                }
                long h0 = Stopwatch.GetTimestamp();
                run.Predict(rows, eps);
                Add(head, keep, h0);
            }
            // Fused, as a pass calls them.
            long p0 = Stopwatch.GetTimestamp();
            using (IDenoiserBatch run = backend.Begin(x, t, y))
            {
                run.RunLayers(prefix);
                Add(prefixed, keep, p0);
                while (run.LayersRun < depth)
                {
                    long c0 = Stopwatch.GetTimestamp();
                    run.RunLayerWithCertainty(certainty);
                    Add(layerWithUem, keep, c0);
                }
            }
            long w0 = Stopwatch.GetTimestamp();
            backend.PredictAtDepth(x, t, y, depth, eps);
            Add(whole, keep, w0);

            // Whole passes: full depth, and adaptive with no row leaving before the last layer.
            long f0 = Stopwatch.GetTimestamp();
            using (IDenoiserBatch run = backend.Begin(x, t, y))
            {
                for (int i = 0; i < depth; i++)
                {
                    run.RunLayer();
                }
                run.Predict(rows, eps);
            }
            Add(fullPerStage, keep, f0);
            long f1 = Stopwatch.GetTimestamp();
            backend.PredictAtDepth(x, t, y, depth, eps);
            Add(fullFused, keep, f1);
            long a0 = Stopwatch.GetTimestamp();
            using (IDenoiserBatch run = backend.Begin(x, t, y))
            {
                for (int i = 0; i < depth; i++)
                {
                    run.RunLayer();
                    if (i >= prefix)
                    {
                        run.Certainty(certainty);
                    }
                }
                run.Predict(rows, eps);
            }
            Add(adaptivePerStage, keep, a0);
            long a1 = Stopwatch.GetTimestamp();
            using (IDenoiserBatch run = backend.Begin(x, t, y))
            {
                run.RunLayers(prefix);
                while (run.LayersRun < depth)
                {
                    run.RunLayerWithCertainty(certainty);
                }
                run.Predict(rows, eps);
            }
            Add(adaptiveFused, keep, a1);
        }
        double[] layerMedians = [.. layer.Select(Stats.Median)];
        double embed = Stats.Median(begin) + layerMedians[0] - layerMedians[1];
        return new Dictionary<string, object>
        {
            ["config"] = config, ["batch"] = batch,
            ["embedMs"] = Math.Round(embed, 4),
            ["layerMs"] = layerMedians.Select(v => Math.Round(v, 4)).ToArray(),
            ["meanLayerMs"] = Math.Round(layerMedians.Average(), 4),
            ["uemMs"] = Math.Round(Stats.Median(uem), 4),
            ["headMs"] = Math.Round(Stats.Median(head), 4),
            ["wholeNetworkMs"] = Math.Round(Stats.Median(whole), 4),
            ["wholeNetworkPerLayerMs"] = Math.Round(Stats.Median(whole) / depth, 4),
            ["prefixLayers"] = prefix,
            ["prefixMs"] = Math.Round(Stats.Median(prefixed), 4),
            ["layerWithUemMs"] = Math.Round(Stats.Median(layerWithUem), 4),
            ["fullPassPerStageMs"] = Math.Round(Stats.Median(fullPerStage), 4),
            ["fullPassFusedMs"] = Math.Round(Stats.Median(fullFused), 4),
            ["adaptivePassPerStageMs"] = Math.Round(Stats.Median(adaptivePerStage), 4),
            ["adaptivePassFusedMs"] = Math.Round(Stats.Median(adaptiveFused), 4),
        };
    }

    private static void Add(List<double> samples, bool keep, long start)
    {
        if (keep)
        {
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }
}
