using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Sampling;

namespace AdaDiff.Evaluation.Internal;

/// <summary>
/// Certainty of every layer on test images noised to random timesteps (x_t = √ᾱ x₀ + √(1−ᾱ) ε, seeded),
/// run straight through the backend seam. It gives the per-layer certainty profile of the weights and lets
/// the sweep pick thresholds that target given depths whatever state the weights are in.
/// </summary>
internal sealed class CertaintyProbe
{
    internal CertaintyProbe(float[,] certainties, int[] timesteps)
    {
        Certainties = certainties;
        Timesteps = timesteps;
    }

    /// <summary>[rows, depth]: certainty after layer l + 1.</summary>
    public float[,] Certainties { get; }

    /// <summary>Timestep of each row.</summary>
    public int[] Timesteps { get; }

    public int Rows => Certainties.GetLength(0);

    public int Depth => Certainties.GetLength(1);

    /// <summary>
    /// Probes <paramref name="rows"/> test images (in batches of 100 rows: ≈ 100 × 51 × 128 floats of hidden state,
    /// 2.6 MB), each conditioned on its label, or on <paramref name="conditionOf"/>(test image index) when given: the
    /// manifest's <see cref="ModelManifest.ConditionWidth"/> ints (a text model's prompt token ids).
    /// </summary>
    public static CertaintyProbe Run(IDenoiserBackend backend, FashionMnist test, int rows, int seed, Func<int, IReadOnlyList<int>>? conditionOf = null)
    {
        ModelManifest manifest = backend.Manifest;
        var schedule = new NoiseSchedule(manifest.NoiseSchedule);
        var random = new Random(seed);
        int size = manifest.ImageSize, depth = manifest.Depth;
        var certainties = new float[rows, depth];
        var timesteps = new int[rows];
        const int batchRows = 100;
        for (int start = 0; start < rows; start += batchRows)
        {
            int n = Math.Min(batchRows, rows - start);
            var latents = new float[n * size];
            var ts = new float[n];
            int width = manifest.ConditionWidth;
            var conditions = new int[n * width];
            for (int r = 0; r < n; r++)
            {
                int image = random.Next(test.Count);
                int t = random.Next(schedule.Timesteps);
                double a = Math.Sqrt(schedule.AlphaBar(t)), s = Math.Sqrt(1 - schedule.AlphaBar(t));
                for (int i = 0; i < size; i++)
                {
                    latents[(r * size) + i] = (float)((a * test.Images[(image * size) + i]) + (s * Gaussian(random)));
                }
                ts[r] = t;
                timesteps[start + r] = t;
                if (conditionOf is null)
                {
                    conditions[r * width] = test.Labels[image];
                }
                else
                {
                    IReadOnlyList<int> condition = conditionOf(image);
                    for (int k = 0; k < width; k++)
                    {
                        conditions[(r * width) + k] = condition[k];
                    }
                }
            }
            using IDenoiserBatch batch = backend.Begin(latents, ts, conditions);
            var c = new float[n];
            for (int l = 0; l < depth; l++)
            {
                batch.RunLayer();
                batch.Certainty(c);
                for (int r = 0; r < n; r++)
                {
                    certainties[start + r, l] = c[r];
                }
            }
        }
        return new CertaintyProbe(certainties, timesteps);
    }

    /// <summary>Mean certainty of each layer over the probe.</summary>
    public double[] MeanPerLayer()
    {
        var mean = new double[Depth];
        for (int r = 0; r < Rows; r++)
        {
            for (int l = 0; l < Depth; l++)
            {
                mean[l] += Certainties[r, l] / Rows;
            }
        }
        return mean;
    }

    /// <summary>Mean exit layer the per-sample rule would give on the probe at <paramref name="threshold"/>.</summary>
    public double MeanExit(float threshold, int minLayers)
    {
        double sum = 0;
        for (int r = 0; r < Rows; r++)
        {
            int exit = Depth;
            for (int l = Math.Max(1, minLayers); l < Depth; l++)
            {
                if (Certainties[r, l - 1] >= threshold)
                {
                    exit = l;
                    break;
                }
            }
            sum += exit;
        }
        return sum / Rows;
    }

    /// <summary>
    /// The threshold whose probe mean exit is closest to <paramref name="targetLayers"/> (bisection: the mean exit
    /// grows with the threshold), rounded to 4 decimals where that keeps the depth, in [0.0001, 1].
    /// </summary>
    public float ThresholdFor(double targetLayers, int minLayers)
    {
        float lo = 0f, hi = 1f;
        for (int i = 0; i < 40; i++)
        {
            float mid = (lo + hi) / 2;
            if (MeanExit(mid, minLayers) < targetLayers)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        bool useLo = Math.Abs(MeanExit(lo, minLayers) - targetLayers) <= Math.Abs(MeanExit(hi, minLayers) - targetLayers);
        float best = useLo ? lo : hi;
        // Round towards the inside of the interval the bisection ended in, so rounding keeps the depth.
        float rounded = Math.Clamp((useLo ? MathF.Floor(best * 1e4f) : MathF.Ceiling(best * 1e4f)) / 1e4f, 0.0001f, 1f);
        return MeanExit(rounded, minLayers) == MeanExit(best, minLayers) ? rounded : Math.Clamp(best, 0.0001f, 1f);
    }

    private static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
