using AdaDiff.Engine;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>Fixed, seeded inputs.</summary>
internal static class Inputs
{
    public static float[] Latents(ModelManifest manifest, int rows, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows * manifest.ImageSize];
        for (int i = 0; i < x.Length; i++)
        {
            // Box–Muller: x_t ~ N(0, 1) like a sampler's start.
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            x[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return x;
    }

    public static float[] Timesteps(ModelManifest manifest, int rows)
    {
        var t = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            t[i] = (manifest.NoiseSchedule.Timesteps - 1) * i / (float)Math.Max(rows - 1, 1);
        }
        return t;
    }

    public static int[] Labels(ModelManifest manifest, int rows)
    {
        var y = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            y[i] = i % (manifest.NumClasses + 1); // the null class included
        }
        return y;
    }
}
