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
    public static StageTiming Measure(IDenoiserBackend backend, string config, int batch, int minLayers, int repeats)
    {
        var inputs = new Inputs(backend.Manifest, batch);
        int depth = backend.Manifest.Depth;
        int prefix = Math.Max(minLayers - 1, 1);
        var samples = new Samples(depth);
        for (int r = -2; r < repeats; r++)
        {
            samples.Keep = r >= 0; // two passes of each kind to warm up
            TimeStages(backend, inputs, samples);
            TimeFusedCalls(backend, inputs, prefix, samples);
            TimeWholePasses(backend, inputs, prefix, samples);
        }
        return samples.Timing(config, batch, prefix);
    }

    /// <summary>
    /// Stage by stage: Begin, each layer and its UEM, the head. The ONNX backend embeds with the first layer, so the
    /// embedding is reported as Begin + layer 1 − layer 2 (both in-blocks of the same cost).
    /// </summary>
    private static void TimeStages(IDenoiserBackend backend, Inputs a, Samples samples)
    {
        long t0 = Stopwatch.GetTimestamp();
        using IDenoiserBatch run = backend.Begin(a.X, a.T, a.Y);
        samples.Add(samples.Begin, t0);
        for (int i = 0; i < samples.Layer.Length; i++)
        {
            long l0 = Stopwatch.GetTimestamp();
            run.RunLayer();
            samples.Add(samples.Layer[i], l0);
            long u0 = Stopwatch.GetTimestamp();
            run.Certainty(a.Certainty);
            samples.Add(samples.Uem, u0);
        }
        long h0 = Stopwatch.GetTimestamp();
        run.Predict(a.Rows, a.Eps);
        samples.Add(samples.Head, h0);
    }

    /// <summary>Fused, as a pass calls them: embed with the prefix's layers, each later layer with its UEM, the whole network.</summary>
    private static void TimeFusedCalls(IDenoiserBackend backend, Inputs a, int prefix, Samples samples)
    {
        long p0 = Stopwatch.GetTimestamp();
        using (IDenoiserBatch run = backend.Begin(a.X, a.T, a.Y))
        {
            run.RunLayers(prefix);
            samples.Add(samples.Prefixed, p0);
            while (run.LayersRun < samples.Layer.Length)
            {
                long c0 = Stopwatch.GetTimestamp();
                run.RunLayerWithCertainty(a.Certainty);
                samples.Add(samples.LayerWithUem, c0);
            }
        }
        long w0 = Stopwatch.GetTimestamp();
        backend.PredictAtDepth(a.X, a.T, a.Y, samples.Layer.Length, a.Eps);
        samples.Add(samples.Whole, w0);
    }

    /// <summary>Whole passes, per stage against fused: full depth, and adaptive with no row leaving before the last layer.</summary>
    private static void TimeWholePasses(IDenoiserBackend backend, Inputs a, int prefix, Samples samples)
    {
        int depth = samples.Layer.Length;
        long f0 = Stopwatch.GetTimestamp();
        using (IDenoiserBatch run = backend.Begin(a.X, a.T, a.Y))
        {
            for (int i = 0; i < depth; i++)
            {
                run.RunLayer();
            }
            run.Predict(a.Rows, a.Eps);
        }
        samples.Add(samples.FullPerStage, f0);
        long f1 = Stopwatch.GetTimestamp();
        backend.PredictAtDepth(a.X, a.T, a.Y, depth, a.Eps);
        samples.Add(samples.FullFused, f1);
        long a0 = Stopwatch.GetTimestamp();
        using (IDenoiserBatch run = backend.Begin(a.X, a.T, a.Y))
        {
            for (int i = 0; i < depth; i++)
            {
                run.RunLayer();
                if (i >= prefix)
                {
                    run.Certainty(a.Certainty);
                }
            }
            run.Predict(a.Rows, a.Eps);
        }
        samples.Add(samples.AdaptivePerStage, a0);
        long a1 = Stopwatch.GetTimestamp();
        using (IDenoiserBatch run = backend.Begin(a.X, a.T, a.Y))
        {
            run.RunLayers(prefix);
            while (run.LayersRun < depth)
            {
                run.RunLayerWithCertainty(a.Certainty);
            }
            run.Predict(a.Rows, a.Eps);
        }
        samples.Add(samples.AdaptiveFused, a1);
    }

    /// <summary>A batch of uniform noise in [−1, 1) at t = 500 with labels 0, 1, …, and the buffers the calls write.</summary>
    private sealed class Inputs
    {
        public Inputs(ModelManifest m, int batch)
        {
            X = new float[batch * m.ImageSize]; // [B, C·H·W]
            T = new float[batch];
            Y = new int[batch];
            var random = new Random(1);
            for (int i = 0; i < X.Length; i++)
            {
                X[i] = (float)((random.NextDouble() * 2) - 1);
            }
            for (int i = 0; i < batch; i++)
            {
                T[i] = 500;
                Y[i] = i % m.NumClasses;
            }
            Certainty = new float[batch];
            Eps = new float[batch * m.ImageSize];
            Rows = [.. Enumerable.Range(0, batch)];
        }

        public float[] X { get; }

        public float[] T { get; }

        public int[] Y { get; }

        public float[] Certainty { get; }

        public float[] Eps { get; }

        public int[] Rows { get; }
    }

    /// <summary>Milliseconds of every kind of call, one list each; a sample counts only while <see cref="Keep"/>.</summary>
    private sealed class Samples
    {
        public Samples(int depth)
        {
            Layer = new List<double>[depth];
            for (int i = 0; i < depth; i++)
            {
                Layer[i] = [];
            }
        }

        public bool Keep { get; set; }

        public List<double>[] Layer { get; }

        public List<double> Begin { get; } = [];

        public List<double> Uem { get; } = [];

        public List<double> Head { get; } = [];

        public List<double> Whole { get; } = [];

        public List<double> Prefixed { get; } = [];

        public List<double> LayerWithUem { get; } = [];

        public List<double> FullPerStage { get; } = [];

        public List<double> FullFused { get; } = [];

        public List<double> AdaptivePerStage { get; } = [];

        public List<double> AdaptiveFused { get; } = [];

        public void Add(List<double> samples, long start)
        {
            if (Keep)
            {
                samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        /// <summary>The medians, rounded to 0.1 µs.</summary>
        public StageTiming Timing(string config, int batch, int prefix)
        {
            double[] layerMedians = [.. Layer.Select(Stats.Median)];
            double embed = Stats.Median(Begin) + layerMedians[0] - layerMedians[1];
            return new StageTiming(
                config, batch,
                EmbedMs: Math.Round(embed, 4),
                LayerMs: [.. layerMedians.Select(v => Math.Round(v, 4))],
                MeanLayerMs: Math.Round(layerMedians.Average(), 4),
                UemMs: Median(Uem),
                HeadMs: Median(Head),
                WholeNetworkMs: Median(Whole),
                WholeNetworkPerLayerMs: Math.Round(Stats.Median(Whole) / Layer.Length, 4),
                PrefixLayers: prefix,
                PrefixMs: Median(Prefixed),
                LayerWithUemMs: Median(LayerWithUem),
                FullPassPerStageMs: Median(FullPerStage),
                FullPassFusedMs: Median(FullFused),
                AdaptivePassPerStageMs: Median(AdaptivePerStage),
                AdaptivePassFusedMs: Median(AdaptiveFused));
        }

        private static double Median(List<double> samples) => Math.Round(Stats.Median(samples), 4);
    }
}
