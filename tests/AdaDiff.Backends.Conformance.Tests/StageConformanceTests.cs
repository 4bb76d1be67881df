using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using Xunit.Abstractions;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>Every stage of both backends on the same inputs: certainties and head predictions within 1e-4.</summary>
[Collection(BackendsCollection.Name)]
public sealed class StageConformanceTests(BackendsFixture fixture, ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [Fact]
    public void EveryLayer_SameInputs_CertaintyAndPredictionWithin1e4()
    {
        ModelManifest m = fixture.TorchSharp.Manifest;
        const int rows = 6;
        float[] x = Inputs.Latents(m, rows, seed: 11);
        float[] t = Inputs.Timesteps(m, rows);
        int[] y = Inputs.Labels(m, rows);
        using IDenoiserBatch a = fixture.TorchSharp.Begin(x, t, y);
        using IDenoiserBatch b = fixture.Onnx.Begin(x, t, y);
        int[] all = [0, 1, 2, 3, 4, 5];
        double maxCertainty = 0, maxPrediction = 0;
        for (int layer = 0; layer < m.Depth; layer++)
        {
            a.RunLayer();
            b.RunLayer();
            maxCertainty = Math.Max(maxCertainty, CompareCertainty(a, b, layer));
            maxPrediction = Math.Max(maxPrediction, ComparePrediction(a, b, all, layer));
        }
        output.WriteLine($"max |Δ| over {m.Depth} layers × {rows} rows: certainty {maxCertainty:E2}, prediction {maxPrediction:E2}");
        Assert.Equal(m.Depth, b.LayersRun);
    }

    [Fact]
    public void SubsetsAndCompaction_SameInputs_AgreeWithin1e4()
    {
        ModelManifest m = fixture.TorchSharp.Manifest;
        const int rows = 5;
        float[] x = Inputs.Latents(m, rows, seed: 12);
        float[] t = Inputs.Timesteps(m, rows);
        int[] y = Inputs.Labels(m, rows);
        using IDenoiserBatch a = fixture.TorchSharp.Begin(x, t, y);
        using IDenoiserBatch b = fixture.Onnx.Begin(x, t, y);
        double max = 0;
        for (int layer = 0; layer < m.Depth; layer++)
        {
            a.RunLayer();
            b.RunLayer();
            if (layer == 1)
            {
                // Rows leave mid-way through the in-blocks, with long skips on the stack.
                max = Math.Max(max, ComparePrediction(a, b, [4, 1], layer));
                a.Keep([0, 2, 4]);
                b.Keep([0, 2, 4]);
            }
            if (layer == m.Depth / 2 + 2)
            {
                a.Keep([1, 2]);
                b.Keep([1, 2]);
            }
            Assert.Equal(a.Count, b.Count);
            max = Math.Max(max, CompareCertainty(a, b, layer));
            max = Math.Max(max, ComparePrediction(a, b, Identity(a.Count), layer));
        }
        output.WriteLine($"max |Δ| with subsets and compaction: {max:E2}");
    }

    private static int[] Identity(int count)
    {
        var rows = new int[count];
        for (int i = 0; i < count; i++)
        {
            rows[i] = i;
        }
        return rows;
    }

    private static double CompareCertainty(IDenoiserBatch a, IDenoiserBatch b, int layer)
    {
        var ca = new float[a.Count];
        var cb = new float[b.Count];
        a.Certainty(ca);
        b.Certainty(cb);
        double diff = Floats.MaxAbsDiff(ca, cb);
        Assert.True(diff <= Tolerance, $"layer {layer}: certainty differs by {diff:E2}");
        return diff;
    }

    private double ComparePrediction(IDenoiserBatch a, IDenoiserBatch b, int[] rows, int layer)
    {
        var pa = new float[rows.Length * fixture.TorchSharp.Manifest.ImageSize];
        var pb = new float[pa.Length];
        a.Predict(rows, pa);
        b.Predict(rows, pb);
        double diff = Floats.MaxAbsDiff(pa, pb);
        Assert.True(diff <= Tolerance, $"layer {layer}: prediction differs by {diff:E2}");
        return diff;
    }
}
