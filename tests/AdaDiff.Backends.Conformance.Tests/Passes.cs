using AdaDiff.Engine.Backends;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>Runs of a batch stage by stage, and the bitwise comparison the fused and batch-independence checks make.</summary>
internal static class Passes
{
    /// <summary>Per layer (index = layers run − 1), every row's certainty and ε̂ through RunLayer, Certainty and Predict.</summary>
    public static (float[][] Certainty, float[][] Eps) StepByStep(IDenoiserBackend backend, float[] x, float[] t, int[] y)
    {
        int depth = backend.Manifest.Depth;
        var certainty = new float[depth][];
        var eps = new float[depth][];
        using IDenoiserBatch batch = backend.Begin(x, t, y);
        for (int layer = 0; layer < depth; layer++)
        {
            batch.RunLayer();
            certainty[layer] = Certainty(batch);
            eps[layer] = Predict(batch, backend.Manifest.ImageSize);
        }
        return (certainty, eps);
    }

    /// <summary>Every row's certainty at the last layer run, [Count].</summary>
    public static float[] Certainty(IDenoiserBatch batch)
    {
        var c = new float[batch.Count];
        batch.Certainty(c);
        return c;
    }

    /// <summary>Every row's ε̂ at the last layer run, [Count, C, H, W] flattened.</summary>
    public static float[] Predict(IDenoiserBatch batch, int imageSize)
    {
        var eps = new float[batch.Count * imageSize];
        batch.Predict([.. Enumerable.Range(0, batch.Count)], eps);
        return eps;
    }

    /// <summary>Fails naming <paramref name="where"/>, how many values differ in their bits and the first.</summary>
    public static void AssertBitwise(float[] expected, float[] actual, string where)
    {
        Assert.Equal(expected.Length, actual.Length);
        int differ = 0, first = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                differ++;
                first = first < 0 ? i : first;
            }
        }
        Assert.True(differ == 0, $"{where}: {differ} of {expected.Length} values differ in their bits (first at {first}: {(first < 0 ? 0 : expected[first]):R} vs {(first < 0 ? 0 : actual[first]):R})");
    }
}
