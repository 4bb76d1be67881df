using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Exits;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>
/// The fused calls of the seam on both backends give every row the same bytes as the per-stage calls they
/// replace, and a row the same bytes whatever else is in its batch: the server promises the same image for the
/// same seed whatever else is batched, so these are bitwise, not within a tolerance.
/// </summary>
[Collection(BackendsCollection.Name)]
public sealed class FusedConformanceTests(BackendsFixture fixture)
{
    public static TheoryData<string> Backends => BackendPair.Names;

    private const int Rows = 5;

    [Theory]
    [MemberData(nameof(Backends))]
    public void RunLayers_AnyRanges_BitwiseLayerByLayer(string name)
    {
        IDenoiserBackend backend = fixture.Get(name);
        int depth = backend.Manifest.Depth;
        (float[] x, float[] t, int[] y) = Batch(backend.Manifest, Rows, seed: 31);
        var stepByStep = Passes.StepByStep(backend, x, t, y);
        // Prefixes before the first exit, ranges across the middle block (pushing and popping long skips), single
        // layers, the whole depth.
        int[][] plans = [[5, 8], [3, 4, 6], [6, 1, 6], [7, 6], [2, 9, 2], [depth], [1, 12], [12, 1]];
        foreach (int[] plan in plans)
        {
            Assert.Equal(depth, Passes.AssertPlanBitwise(backend, x, t, y, plan, stepByStep, name));
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void RunLayerWithCertainty_EveryLayer_BitwiseLayerThenCertainty(string name)
    {
        IDenoiserBackend backend = fixture.Get(name);
        (float[] x, float[] t, int[] y) = Batch(backend.Manifest, Rows, seed: 32);
        (float[][] certainty, float[][] eps) = Passes.StepByStep(backend, x, t, y);
        foreach (int prefix in new[] { 0, 5 })
        {
            using IDenoiserBatch batch = backend.Begin(x, t, y);
            if (prefix > 0)
            {
                batch.RunLayers(prefix); // embed and the layers before min_layers in one call, as a pass runs them
            }
            while (batch.LayersRun < backend.Manifest.Depth)
            {
                var c = new float[batch.Count];
                batch.RunLayerWithCertainty(c);
                string where = $"{name}, prefix {prefix}, layer {batch.LayersRun}";
                Passes.AssertBitwise(certainty[batch.LayersRun - 1], c, where + ": certainty");
                Passes.AssertBitwise(eps[batch.LayersRun - 1], Predict(batch), where + ": ε̂");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void PredictAtDepth_EveryDepth_BitwiseStepByStep(string name)
    {
        IDenoiserBackend backend = fixture.Get(name);
        (float[] x, float[] t, int[] y) = Batch(backend.Manifest, Rows, seed: 33);
        (_, float[][] eps) = Passes.StepByStep(backend, x, t, y);
        Passes.AssertPredictAtDepthBitwise(backend, x, t, y, eps, name);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Keep_BeforeTheFirstLayer_BitwiseABatchOfThoseRows(string name)
    {
        IDenoiserBackend backend = fixture.Get(name);
        ModelManifest m = backend.Manifest;
        (float[] x, float[] t, int[] y) = Batch(m, Rows, seed: 34);
        int[] kept = [0, 2, 3];
        float[] xs = [.. kept.SelectMany(r => x.AsSpan(r * m.ImageSize, m.ImageSize).ToArray())];
        (_, float[][] eps) = Passes.StepByStep(backend, xs, [.. kept.Select(r => t[r])], [.. kept.Select(r => y[r])]);

        using IDenoiserBatch batch = backend.Begin(x, t, y);
        batch.Keep(kept); // a group cancelled before the pass starts: on ONNX, before the embedding has run
        batch.RunLayers(m.DefaultMinLayers - 1);
        Passes.AssertBitwise(eps[m.DefaultMinLayers - 2], Predict(batch), $"{name}: rows kept before the embedding");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void MixedBatch_FullDepthBesideAdaptive_EachRowSameBytesAsAloneAndAsStageByStage(string name)
    {
        IDenoiserBackend backend = fixture.Get(name);
        ModelManifest m = backend.Manifest;
        (float[] x, float[] t, _) = Batch(m, 3, seed: 35);
        // A threshold below every certainty from min_layers on: the adaptive images leave at min_layers, the
        // full-depth image runs on alone.
        var adaptive = new ExitPolicySettings(ExitMode.Adaptive, 0.01f, m.DefaultMinLayers, 0);
        (ExitPolicySettings Policy, int Image)[] groups = [(ExitPolicySettings.Full, 0), (adaptive, 1), (adaptive, 2)];

        DenoiseBatch mixed = Run(backend, x, t, groups);
        Assert.Equal(m.Depth, mixed.ImageExitLayer(0));
        Assert.Equal(m.DefaultMinLayers, mixed.ImageExitLayer(1));
        DenoiseBatch stagewise = Run(new PerStageBackend(backend), x, t, groups);
        for (int g = 0; g < groups.Length; g++)
        {
            DenoiseBatch alone = Run(backend, x, t, [groups[g]]);
            for (int r = 0; r < 2; r++) // the image's conditional and null-class rows (guidance)
            {
                int row = (2 * g) + r;
                string where = $"{name}, image {g} ({groups[g].Policy.Mode}) row {r}";
                Passes.AssertBitwise(alone.Epsilon(r).ToArray(), mixed.Epsilon(row).ToArray(), where + ": alone vs in the mixed batch");
                Passes.AssertBitwise(stagewise.Epsilon(row).ToArray(), mixed.Epsilon(row).ToArray(), where + ": stage by stage vs fused");
                Assert.Equal(alone.ExitLayer(r), mixed.ExitLayer(row));
                Assert.Equal(BitConverter.SingleToInt32Bits(alone.Certainty(r)), BitConverter.SingleToInt32Bits(mixed.Certainty(row)));
                Assert.Equal(stagewise.ExitLayer(row), mixed.ExitLayer(row));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Row_AloneOrInABatchOf16_SameBytesAtEveryLayer(string name)
    {
        IDenoiserBackend backend = fixture.Get(name);
        ModelManifest m = backend.Manifest;
        const int rows = 16;
        (float[] x, float[] t, int[] y) = Batch(m, rows, seed: 36);
        var inBatch = Passes.StepByStep(backend, x, t, y);
        foreach (int row in new[] { 0, 7, 15 })
        {
            Passes.AssertRowAloneBitwise(backend, x, t, y, row, inBatch, $"{name}, row {row} of {rows}");
        }
    }

    /// <summary>Each group one image with guidance (class 1 and the null class), image k's latent and timestep.</summary>
    private static DenoiseBatch Run(IDenoiserBackend backend, float[] x, float[] t, (ExitPolicySettings Policy, int Image)[] groups)
    {
        int size = backend.Manifest.ImageSize;
        var batch = new DenoiseBatch(size, 2 * groups.Length);
        foreach ((ExitPolicySettings policy, int image) in groups)
        {
            batch.AddGroup(ExitPolicy.Create(policy), 0, CancellationToken.None);
            batch.AddImage(x.AsSpan(image * size, size), t[image], 1, backend.Manifest.NullClass);
        }
        new AdaptiveDenoiser(backend).Run(batch);
        return batch;
    }

    private static (float[] X, float[] T, int[] Y) Batch(ModelManifest m, int rows, int seed) =>
        (Inputs.Latents(m, rows, seed), Inputs.Timesteps(m, rows), Inputs.Labels(m, rows));

    private float[] Predict(IDenoiserBatch batch) => Passes.Predict(batch, fixture.TorchSharp.Manifest.ImageSize);
}
