using AdaDiff.Engine.Backends;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>Runs of a batch stage by stage, and the bitwise comparisons the fused and batch-independence checks make.</summary>
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

    /// <summary>
    /// Runs a batch of x, t, y through <paramref name="plan"/> (the layers of each <c>RunLayers</c> call) and fails
    /// unless every row's ε̂ and certainty after each call are bit for bit <paramref name="stepByStep"/>'s
    /// (<see cref="StepByStep"/>); returns the layers run.
    /// </summary>
    public static int AssertPlanBitwise(IDenoiserBackend backend, float[] x, float[] t, int[] y, int[] plan, (float[][] Certainty, float[][] Eps) stepByStep, string name)
    {
        using IDenoiserBatch batch = backend.Begin(x, t, y);
        foreach (int layers in plan)
        {
            batch.RunLayers(layers);
            string where = $"{name}, plan [{string.Join(", ", plan)}], after layer {batch.LayersRun}";
            AssertBitwise(stepByStep.Eps[batch.LayersRun - 1], Predict(batch, backend.Manifest.ImageSize), where + ": ε̂");
            AssertBitwise(stepByStep.Certainty[batch.LayersRun - 1], Certainty(batch), where + ": certainty");
        }
        return batch.LayersRun;
    }

    /// <summary>Fails unless <c>PredictAtDepth</c> gives, at every depth, every row's ε̂ bit for bit as <paramref name="eps"/> (per layer, <see cref="StepByStep"/>).</summary>
    public static void AssertPredictAtDepthBitwise(IDenoiserBackend backend, float[] x, float[] t, int[] y, float[][] eps, string name)
    {
        for (int depth = 1; depth <= backend.Manifest.Depth; depth++)
        {
            var whole = new float[t.Length * backend.Manifest.ImageSize];
            backend.PredictAtDepth(x, t, y, depth, whole);
            AssertBitwise(eps[depth - 1], whole, $"{name}, embed → {depth} layers → head");
        }
    }

    /// <summary>
    /// Fails unless row <paramref name="row"/> of a batch of x, t, y (conditions of <c>y.Length / t.Length</c> values a
    /// row), run alone, has at every layer bit for bit the ε̂ and certainty it had in the batch (<paramref name="inBatch"/>,
    /// <see cref="StepByStep"/>).
    /// </summary>
    public static void AssertRowAloneBitwise(IDenoiserBackend backend, float[] x, float[] t, int[] y, int row, (float[][] Certainty, float[][] Eps) inBatch, string where)
    {
        int size = backend.Manifest.ImageSize;
        int width = y.Length / t.Length;
        (float[][] aloneCertainty, float[][] aloneEps) = StepByStep(backend, x.AsSpan(row * size, size).ToArray(), [t[row]], y.AsSpan(row * width, width).ToArray());
        for (int layer = 0; layer < backend.Manifest.Depth; layer++)
        {
            string at = $"{where}, layer {layer + 1}";
            AssertBitwise(aloneEps[layer], inBatch.Eps[layer].AsSpan(row * size, size).ToArray(), at + ": ε̂");
            AssertBitwise(aloneCertainty[layer], [inBatch.Certainty[layer][row]], at + ": certainty");
        }
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
