using AdaDiff.Engine;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>The same bad inputs give both backends the same exception type and message.</summary>
[Collection(BackendsCollection.Name)]
public sealed class ErrorConformanceTests(BackendsFixture fixture)
{
    public static TheoryData<string> Cases => new()
    {
        "no rows", "short latents", "labels length", "label above null class", "negative label", "NaN timestep",
        "certainty before a layer", "predict before a layer", "certainty destination size", "predict destination size",
        "predict row out of range", "keep unordered", "keep out of range", "layer past depth", "after dispose",
        "run no layers", "run layers past depth", "layer with certainty destination size", "layer with certainty past depth",
        "predict at depth 0", "predict at depth past depth", "predict at depth destination size", "predict at depth short latents",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadInput_BothBackends_SameError(string scenario)
    {
        Exception a = Assert.ThrowsAny<Exception>(() => Provoke(fixture.TorchSharp, scenario));
        Exception b = Assert.ThrowsAny<Exception>(() => Provoke(fixture.Onnx, scenario));
        Assert.Equal(a.GetType(), b.GetType());
        Assert.True(a is ArgumentException or InvalidOperationException, $"{scenario}: unexpected {a.GetType().Name}");
        if (a is not ObjectDisposedException)
        {
            Assert.Equal(a.Message, b.Message);
        }
    }

    private static void Provoke(IDenoiserBackend backend, string scenario)
    {
        ModelManifest m = backend.Manifest;
        float[] x = Inputs.Latents(m, 2, seed: 3);
        float[] t = [10, 500];
        int[] y = [1, 2];
        switch (scenario)
        {
            case "no rows": backend.Begin([], [], []); return;
            case "short latents": backend.Begin(x.AsSpan(1), t, y); return;
            case "labels length": backend.Begin(x, t, [1]); return;
            case "label above null class": backend.Begin(x, t, [1, m.NullClass + 1]); return;
            case "negative label": backend.Begin(x, t, [-1, 0]); return;
            case "NaN timestep": backend.Begin(x, [float.NaN, 1], y); return;
            case "predict at depth 0": backend.PredictAtDepth(x, t, y, 0, new float[2 * m.ImageSize]); return;
            case "predict at depth past depth": backend.PredictAtDepth(x, t, y, m.Depth + 1, new float[2 * m.ImageSize]); return;
            case "predict at depth destination size": backend.PredictAtDepth(x, t, y, m.Depth, new float[m.ImageSize]); return;
            case "predict at depth short latents": backend.PredictAtDepth(x.AsSpan(1), t, y, m.Depth, new float[2 * m.ImageSize]); return;
        }
        using IDenoiserBatch batch = backend.Begin(x, t, y);
        switch (scenario)
        {
            case "certainty before a layer": batch.Certainty(new float[2]); return;
            case "predict before a layer": batch.Predict([0], new float[m.ImageSize]); return;
            case "run no layers": batch.RunLayers(0); return;
            case "run layers past depth": batch.RunLayers(m.Depth + 1); return;
            case "layer with certainty destination size": batch.RunLayerWithCertainty(new float[3]); return;
            case "layer with certainty past depth":
                batch.RunLayers(m.Depth);
                batch.RunLayerWithCertainty(new float[2]);
                return;
        }
        batch.RunLayer();
        switch (scenario)
        {
            case "certainty destination size": batch.Certainty(new float[3]); return;
            case "predict destination size": batch.Predict([0, 1], new float[m.ImageSize]); return;
            case "predict row out of range": batch.Predict([2], new float[m.ImageSize]); return;
            case "keep unordered": batch.Keep([1, 0]); return;
            case "keep out of range": batch.Keep([0, 5]); return;
            case "layer past depth":
                for (int i = 1; i <= m.Depth; i++)
                {
                    batch.RunLayer();
                }
                return;
            case "after dispose":
                batch.Dispose();
                batch.RunLayer();
                return;
            default: throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "unknown scenario");
        }
    }
}
