using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Text;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>
/// A text-conditioned model through the seam on both backends: every stage within the suite's tolerance between
/// backends, fused calls bit for bit the per-stage ones, a row's bits its own whatever else is batched, and the same
/// errors for bad prompt tokens.
/// </summary>
[Collection(TextBackendsCollection.Name)]
public sealed class TextModelConformanceTests(TextBackendsFixture fixture)
{
    public static TheoryData<string> Backends => BackendPair.Names;

    private const double Tolerance = 1e-4;

    private static readonly string[] Prompts = ["a small dark ankle boot", "", "something bright and wide", "dress", "wide wide boot", "a bright dress"];

    [Fact]
    public void Manifest_TextModel_PromptTokensBetweenTimeAndPatches()
    {
        ModelManifest m = fixture.TorchSharp.Manifest;
        var topology = UViTTopology.Of(m);

        Assert.Equal(ConditioningKind.Text, m.Conditioning);
        Assert.Equal(7, m.ConditionWidth);
        Assert.Equal(1 + 7 + 16, topology.Tokens);
        Assert.Equal(8, topology.ExtraTokens);
        Assert.True(m.SameArchitecture(fixture.Onnx.Manifest));
    }

    [Fact]
    public void EveryLayer_SameInputs_CertaintyAndPredictionWithin1e4()
    {
        ModelManifest m = fixture.TorchSharp.Manifest;
        (float[] x, float[] t, int[] y) = Batch(m, Prompts.Length, seed: 41);
        using IDenoiserBatch a = fixture.TorchSharp.Begin(x, t, y);
        using IDenoiserBatch b = fixture.Onnx.Begin(x, t, y);
        for (int layer = 0; layer < m.Depth; layer++)
        {
            a.RunLayer();
            b.RunLayer();
            if (layer == 1)
            {
                a.Keep([0, 2, 3, 5]); // rows leave with long skips on the stack
                b.Keep([0, 2, 3, 5]);
            }
            float[] ca = Passes.Certainty(a), cb = Passes.Certainty(b);
            float[] pa = Predict(a), pb = Predict(b);
            Assert.True(Floats.MaxAbsDiff(ca, cb) <= Tolerance, $"layer {layer}: certainty differs by {Floats.MaxAbsDiff(ca, cb):E2}");
            Assert.True(Floats.MaxAbsDiff(pa, pb) <= Tolerance, $"layer {layer}: prediction differs by {Floats.MaxAbsDiff(pa, pb):E2}");
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Prompt_ChangesThePrediction_EmptyPromptIsARowOfItsOwn(string name)
    {
        IDenoiserBackend backend = fixture.Get(name);
        ModelManifest m = backend.Manifest;
        float[] x = Inputs.Latents(m, 1, seed: 42);
        float[] boot = PredictAlone(backend, x, Tokens("a small dark ankle boot"));
        float[] dress = PredictAlone(backend, x, Tokens("a bright dress"));
        float[] unconditional = PredictAlone(backend, x, new int[m.ConditionWidth]); // all padding

        // Untrained weights (σ = 0.02) let the context tokens move ε̂ only a little, but a prompt the patches
        // never attended to would give the same bits.
        Assert.True(Floats.MaxAbsDiff(boot, dress) > 0, $"{name}: two prompts gave the same ε̂");
        Assert.True(Floats.MaxAbsDiff(boot, unconditional) > 0, $"{name}: a prompt and the empty prompt gave the same ε̂");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void FusedCalls_BitwiseStageByStage(string name)
    {
        IDenoiserBackend backend = fixture.Get(name);
        ModelManifest m = backend.Manifest;
        (float[] x, float[] t, int[] y) = Batch(m, Prompts.Length, seed: 43);
        (float[][] certainty, float[][] eps) = Passes.StepByStep(backend, x, t, y);
        foreach (int[] plan in new[] { new[] { 2, 3 }, [1, 3, 1], [5] })
        {
            Passes.AssertPlanBitwise(backend, x, t, y, plan, (certainty, eps), name);
        }
        using (IDenoiserBatch batch = backend.Begin(x, t, y))
        {
            while (batch.LayersRun < m.Depth)
            {
                var c = new float[batch.Count];
                batch.RunLayerWithCertainty(c);
                Passes.AssertBitwise(certainty[batch.LayersRun - 1], c, $"{name}, layer {batch.LayersRun} with certainty");
            }
        }
        Passes.AssertPredictAtDepthBitwise(backend, x, t, y, eps, name);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Row_AloneOrInABatch_SameBytesAtEveryLayer(string name)
    {
        IDenoiserBackend backend = fixture.Get(name);
        ModelManifest m = backend.Manifest;
        (float[] x, float[] t, int[] y) = Batch(m, Prompts.Length, seed: 44);
        var inBatch = Passes.StepByStep(backend, x, t, y);
        foreach (int row in new[] { 0, 1, 5 })
        {
            Passes.AssertRowAloneBitwise(backend, x, t, y, row, inBatch, $"{name}, row {row}");
        }
    }

    [Theory]
    [InlineData("one id a row")]
    [InlineData("id past the vocabulary")]
    [InlineData("negative id")]
    public void BadTokens_BothBackends_SameErrorNamingConditions(string scenario)
    {
        Exception a = Assert.ThrowsAny<ArgumentException>(() => Provoke(fixture.TorchSharp, scenario));
        Exception b = Assert.ThrowsAny<ArgumentException>(() => Provoke(fixture.Onnx, scenario));
        Assert.Equal(a.GetType(), b.GetType());
        Assert.Equal(a.Message, b.Message);
        Assert.Equal("conditions", ((ArgumentException)a).ParamName);
    }

    private void Provoke(IDenoiserBackend backend, string scenario)
    {
        ModelManifest m = backend.Manifest;
        float[] x = Inputs.Latents(m, 2, seed: 3);
        int[] y = [.. Tokens("boot"), .. Tokens("dress")];
        switch (scenario)
        {
            case "one id a row": backend.Begin(x, [1, 2], [3, 4]).Dispose(); return;
            case "id past the vocabulary":
                y[3] = m.Text!.VocabularySize;
                backend.PredictAtDepth(x, [1, 2], y, 1, new float[2 * m.ImageSize]);
                return;
            case "negative id":
                y[^1] = -1;
                backend.Begin(x, [1, 2], y).Dispose();
                return;
            default: throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "unknown scenario");
        }
    }

    private int[] Tokens(string prompt) => prompt.Length == 0 ? new int[fixture.Tokenizer.Vocabulary.MaxTokens] : fixture.Tokenizer.Encode(prompt).Ids;

    private (float[] X, float[] T, int[] Y) Batch(ModelManifest m, int rows, int seed)
    {
        var y = new List<int>();
        for (int r = 0; r < rows; r++)
        {
            y.AddRange(Tokens(Prompts[r % Prompts.Length]));
        }
        return (Inputs.Latents(m, rows, seed), Inputs.Timesteps(m, rows), [.. y]);
    }

    private static float[] PredictAlone(IDenoiserBackend backend, float[] x, int[] tokens)
    {
        var eps = new float[backend.Manifest.ImageSize];
        backend.PredictAtDepth(x, [500], tokens, backend.Manifest.Depth, eps);
        return eps;
    }

    private float[] Predict(IDenoiserBatch batch) => Passes.Predict(batch, fixture.TorchSharp.Manifest.ImageSize);
}
