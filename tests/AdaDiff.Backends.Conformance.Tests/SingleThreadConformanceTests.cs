using AdaDiff.Backends.Onnx;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>
/// The ONNX backend runs small passes on the calling thread and larger ones on its intra-op pool
/// (<see cref="OnnxBackendOptions.SingleThreadRows"/>); a row must get the same bytes either way, since which one a
/// pass takes depends on what else is batched with it.
/// </summary>
[Collection(BackendsCollection.Name)]
public sealed class SingleThreadConformanceTests(BackendsFixture fixture)
{
    private const int Rows = 12;

    [Fact]
    public void Pass_OnTheCallingThreadOrThePool_BitwiseAtEveryLayer()
    {
        ModelManifest m = fixture.Onnx.Manifest;
        using OnnxBackend pooled = OnnxBackend.Load(fixture.Directory, new OnnxBackendOptions { Threads = 2, SingleThreadRows = 0 });
        using OnnxBackend inline = OnnxBackend.Load(fixture.Directory, new OnnxBackendOptions { Threads = 2, SingleThreadRows = Rows });
        Assert.Equal(0, pooled.SingleThreadRows);
        Assert.Equal(Rows, inline.SingleThreadRows);
        float[] x = Inputs.Latents(m, Rows, seed: 41);
        float[] t = Inputs.Timesteps(m, Rows);
        int[] y = Inputs.Labels(m, Rows);

        // Stage by stage, then in the fused calls a pass makes: the prefix before min_layers, layer + UEM, the head.
        foreach (bool fused in new[] { false, true })
        {
            using IDenoiserBatch a = pooled.Begin(x, t, y);
            using IDenoiserBatch b = inline.Begin(x, t, y);
            if (fused)
            {
                a.RunLayers(m.DefaultMinLayers - 1);
                b.RunLayers(m.DefaultMinLayers - 1);
            }
            while (a.LayersRun < m.Depth)
            {
                string where = $"{(fused ? "fused" : "stage by stage")}, layer {a.LayersRun + 1}";
                var ca = new float[Rows];
                var cb = new float[Rows];
                if (fused)
                {
                    a.RunLayerWithCertainty(ca);
                    b.RunLayerWithCertainty(cb);
                }
                else
                {
                    a.RunLayer();
                    b.RunLayer();
                    a.Certainty(ca);
                    b.Certainty(cb);
                }
                AssertBitwise(ca, cb, where + ": certainty");
                AssertBitwise(Predict(a, m), Predict(b, m), where + ": ε̂");
            }
        }

        var wholeA = new float[Rows * m.ImageSize];
        var wholeB = new float[Rows * m.ImageSize];
        pooled.PredictAtDepth(x, t, y, m.Depth, wholeA);
        inline.PredictAtDepth(x, t, y, m.Depth, wholeB);
        AssertBitwise(wholeA, wholeB, "whole network");
    }

    [Fact]
    public void SingleThreadRows_OneThreadOrNegative_OffOrRefused()
    {
        using OnnxBackend one = OnnxBackend.Load(fixture.Directory, new OnnxBackendOptions { Threads = 1, SingleThreadRows = 8 });
        Assert.Equal(0, one.SingleThreadRows); // a pool of one is the calling thread already: no second set of sessions
        using OnnxBackend off = OnnxBackend.Load(fixture.Directory, new OnnxBackendOptions { Threads = 2, SingleThreadRows = 0 });
        using OnnxBackend on = OnnxBackend.Load(fixture.Directory, new OnnxBackendOptions { Threads = 2, SingleThreadRows = 4 });
        Assert.Equal(2 * off.SessionCount, on.SessionCount);
        var e = Assert.Throws<ArgumentException>(() => OnnxBackend.Load(fixture.Directory, new OnnxBackendOptions { SingleThreadRows = -1 }));
        Assert.Contains("SingleThreadRows", e.Message, StringComparison.Ordinal);
    }

    private static float[] Predict(IDenoiserBatch batch, ModelManifest m)
    {
        var eps = new float[batch.Count * m.ImageSize];
        batch.Predict([.. Enumerable.Range(0, batch.Count)], eps);
        return eps;
    }

    private static void AssertBitwise(float[] expected, float[] actual, string where)
    {
        int differ = expected.Where((v, i) => BitConverter.SingleToInt32Bits(v) != BitConverter.SingleToInt32Bits(actual[i])).Count();
        Assert.True(expected.Length == actual.Length && differ == 0, $"{where}: {differ} of {expected.Length} values differ in their bits");
    }
}
