using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine.Exits;

namespace AdaDiff.Engine.Tests;

public sealed class AdaptiveDenoiserTests : IDisposable
{
    private const int Depth = 5;
    private readonly TorchSharpBackend real = TinyModel.Backend();
    private readonly InstrumentedBackend backend;
    private readonly int size;

    public AdaptiveDenoiserTests()
    {
        backend = new InstrumentedBackend(real);
        size = real.Manifest.ImageSize;
    }

    public void Dispose() => real.Dispose();

    private static readonly float[] Timesteps = [10, 200, 500, 999, 50, 700];
    private static readonly int[] Labels = [0, 1, 2, 3, 0, 1];

    /// <summary>One group per entry of <paramref name="policies"/>, each with the given rows (no guidance).</summary>
    private DenoiseBatch Batch(float[] latents, params (ExitPolicySettings Policy, int Rows, CancellationToken Token)[] groups)
    {
        var batch = new DenoiseBatch(size, 16);
        int row = 0;
        foreach ((ExitPolicySettings policy, int rows, CancellationToken token) in groups)
        {
            batch.AddGroup(ExitPolicy.Create(policy), 0, token);
            for (int r = 0; r < rows; r++, row++)
            {
                batch.AddImage(latents.AsSpan(row * size, size), Timesteps[row], Labels[row], null);
            }
        }
        return batch;
    }

    [Fact]
    public void Run_FullDepth_MatchesDirectPassAndRunsNoUncertaintyHead()
    {
        float[] latents = TinyModel.Latents(4, 1);
        (_, float[][] predictions) = TinyModel.Direct(real, latents, Timesteps.AsSpan(0, 4), Labels.AsSpan(0, 4));
        DenoiseBatch batch = Batch(latents, (ExitPolicySettings.Full, 4, default));

        DenoisePass pass = new AdaptiveDenoiser(backend).Run(batch);

        Assert.Equal([$"PredictAtDepth(4, {Depth})"], backend.Calls); // the whole network in one call
        Assert.Equal(0, backend.CertaintyCalls);
        Assert.Equal(new DenoisePass(4, 4L * Depth, Depth, 0, pass.Seconds), pass);
        for (int row = 0; row < 4; row++)
        {
            Assert.Equal(Depth, batch.ExitLayer(row));
            Assert.Equal(0, batch.UemEvaluations(row));
            Assert.True(float.IsNaN(batch.Certainty(row)));
            Assert.True(Floats.MaxAbsDiff(predictions[Depth - 1].AsSpan(row * size, size), batch.Epsilon(row)) < 1e-5f);
        }
    }

    [Fact]
    public void Run_FixedDepthBesideFullDepth_EachGroupExitsAtItsLayer()
    {
        float[] latents = TinyModel.Latents(4, 2);
        (_, float[][] predictions) = TinyModel.Direct(real, latents, Timesteps.AsSpan(0, 4), Labels.AsSpan(0, 4));
        var fixed3 = new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, 3);
        DenoiseBatch batch = Batch(latents, (fixed3, 2, default), (ExitPolicySettings.Full, 2, default));

        DenoisePass pass = new AdaptiveDenoiser(backend).Run(batch);

        Assert.Equal(["Begin(4)", "RunLayers(3)", "Predict(2)", "Keep(2)", "RunLayers(2)", "Predict(2)"], backend.Calls);
        Assert.Equal([4, 4, 4, 2, 2], backend.RowsPerLayer);
        Assert.Equal(0, pass.CertaintyEvaluations);
        Assert.Equal(4L * 3 + 2 * 2, pass.RowLayers);
        int[] expected = [3, 3, Depth, Depth];
        for (int row = 0; row < 4; row++)
        {
            Assert.Equal(expected[row], batch.ExitLayer(row));
            float[] direct = predictions[expected[row] - 1];
            Assert.True(Floats.MaxAbsDiff(direct.AsSpan(row * size, size), batch.Epsilon(row)) < 1e-5f);
        }
        Assert.Equal([0, 0, 0, 0], Enumerable.Range(0, 4).Select(batch.UemEvaluations).ToArray());
    }

    [Fact]
    public void Run_Adaptive_ExitsAtFirstLayerAtOrAboveThreshold()
    {
        float[] latents = TinyModel.Latents(6, 3);
        (float[][] certainties, float[][] predictions) = TinyModel.Direct(real, latents, Timesteps, Labels);
        const int minLayers = 2;
        (float threshold, int[] expected) = PickThreshold(certainties, minLayers);
        var policy = new ExitPolicySettings(ExitMode.Adaptive, threshold, minLayers, 0);
        DenoiseBatch batch = Batch(latents, (policy, 6, default));

        DenoisePass pass = new AdaptiveDenoiser(backend).Run(batch);

        Assert.True(expected.Distinct().Count() >= 2, "the threshold should split the rows");
        for (int row = 0; row < 6; row++)
        {
            Assert.Equal(expected[row], batch.ExitLayer(row));
            Assert.Equal(certainties[expected[row] - 1][row], batch.Certainty(row), 1e-5f);
            Assert.Equal(expected[row] - minLayers + 1, batch.UemEvaluations(row));
            Assert.True(Floats.MaxAbsDiff(predictions[expected[row] - 1].AsSpan(row * size, size), batch.Epsilon(row)) < 1e-5f);
        }
        Assert.Equal(expected.Sum(), pass.RowLayers);
        Assert.Equal(expected.Max() - minLayers + 1, backend.CertaintyCalls);
        // No certainty before MinLayers; rows leave the batch as they exit.
        for (int layer = 1; layer <= expected.Max(); layer++)
        {
            Assert.Equal(expected.Count(e => e >= layer), backend.RowsPerLayer[layer - 1]);
        }
    }

    [Fact]
    public void Run_GuidancePairs_ExitTogetherOnTheLowerCertainty()
    {
        // Image k has rows 2k (class) and 2k+1 (null class), same latent and timestep.
        float[] images = TinyModel.Latents(3, 4);
        float[] rowLatents = new float[6 * size];
        float[] timesteps = new float[6];
        int[] labels = new int[6];
        int nullClass = real.Manifest.NullClass;
        for (int k = 0; k < 3; k++)
        {
            for (int r = 0; r < 2; r++)
            {
                images.AsSpan(k * size, size).CopyTo(rowLatents.AsSpan((2 * k + r) * size, size));
                timesteps[2 * k + r] = Timesteps[k];
                labels[2 * k + r] = r == 0 ? Labels[k] : nullClass;
            }
        }
        (float[][] rowCertainties, float[][] predictions) = TinyModel.Direct(real, rowLatents, timesteps, labels);
        float[][] imageCertainties = rowCertainties
            .Select(layer => Enumerable.Range(0, 3).Select(k => Math.Min(layer[2 * k], layer[2 * k + 1])).ToArray())
            .ToArray();
        (float threshold, int[] expected) = PickThreshold(imageCertainties, 1);
        var batch = new DenoiseBatch(size, 16);
        batch.AddGroup(new AdaptiveExitPolicy(threshold, 1), 0, default);
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(k, batch.AddImage(images.AsSpan(k * size, size), Timesteps[k], Labels[k], nullClass));
        }

        new AdaptiveDenoiser(backend).Run(batch);

        Assert.Equal(6, batch.Rows);
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(2, batch.ImageRows(k));
            Assert.Equal(expected[k], batch.ExitLayer(2 * k));
            Assert.Equal(expected[k], batch.ExitLayer(2 * k + 1));
            Assert.Equal(imageCertainties[expected[k] - 1][k], batch.ImageCertainty(k), 1e-5f);
            for (int r = 2 * k; r < 2 * k + 2; r++)
            {
                Assert.True(Floats.MaxAbsDiff(predictions[expected[k] - 1].AsSpan(r * size, size), batch.Epsilon(r)) < 1e-5f);
            }
        }
    }

    [Fact]
    public void Run_PolicyOfItsOwn_AskedOnlyInsideItsBoundsWithTheImagesStillIn_AndEveryImageLeavesByTheLatest()
    {
        float[] latents = TinyModel.Latents(4, 5);
        (float[][] certainties, float[][] predictions) = TinyModel.Direct(real, latents, Timesteps.AsSpan(0, 4), Labels.AsSpan(0, 4));
        // A threshold that the surest image passes at layer 2 or 3 and the least sure misses at both.
        float surest = Enumerable.Range(0, 4).Max(r => Math.Max(certainties[1][r], certainties[2][r]));
        float leastSure = Enumerable.Range(0, 4).Min(r => Math.Max(certainties[1][r], certainties[2][r]));
        Assert.True(leastSure < surest, "the tiny model's certainties should differ between images");
        float threshold = (surest + leastSure) / 2;
        var policy = new TestExitPolicies.Recording(threshold, new ExitBounds(2, 4, NeedsCertainty: true));
        var batch = new DenoiseBatch(size, 16);
        batch.AddGroup(policy, 7, default);
        for (int row = 0; row < 4; row++)
        {
            batch.AddImage(latents.AsSpan(row * size, size), Timesteps[row], Labels[row], null);
        }

        new AdaptiveDenoiser(backend).Run(batch);

        // Expected from the bounds: layers 2 and 3 decide by the threshold, layer 4 (not the last) takes every image still in.
        int[] expected = new int[4];
        for (int row = 0; row < 4; row++)
        {
            expected[row] = certainties[1][row] >= threshold ? 2 : certainties[2][row] >= threshold ? 3 : 4;
        }
        Assert.Equal([(7, 2), (7, 3)], policy.Asked.Select(a => (a.Step, a.Layer)));
        float[][] stillIn = [certainties[1], [.. Enumerable.Range(0, 4).Where(r => expected[r] > 2).Select(r => certainties[2][r])]];
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(stillIn[i].Length, policy.Asked[i].Certainties.Length);
            Assert.True(Floats.MaxAbsDiff(stillIn[i], policy.Asked[i].Certainties) < 1e-5f);
        }
        for (int row = 0; row < 4; row++)
        {
            Assert.Equal(expected[row], batch.ExitLayer(row));
            Assert.Equal(expected[row] - 1, batch.UemEvaluations(row)); // heads from layer 2 to its exit
            Assert.True(Floats.MaxAbsDiff(predictions[expected[row] - 1].AsSpan(row * size, size), batch.Epsilon(row)) < 1e-5f);
        }
    }

    [Fact]
    public void Run_Adaptive_NoCertaintyBeforeMinLayers()
    {
        float[] latents = TinyModel.Latents(2, 6);
        var policy = new ExitPolicySettings(ExitMode.Adaptive, 1f, 4, 0);
        DenoiseBatch batch = Batch(latents, (policy, 2, default));

        DenoisePass pass = new AdaptiveDenoiser(backend).Run(batch);

        Assert.Equal(2, backend.CertaintyCalls);
        Assert.Equal(2, pass.CertaintyEvaluations);
        Assert.Equal(2, batch.UemEvaluations(0));
    }

    [Fact]
    public void Run_GroupCancelledDuringAFusedCall_ItsRowsLeaveAfterItBeforeTheNextCall()
    {
        float[] latents = TinyModel.Latents(4, 7);
        (_, float[][] predictions) = TinyModel.Direct(real, latents, Timesteps.AsSpan(0, 4), Labels.AsSpan(0, 4));
        using var cancel = new CancellationTokenSource();
        backend.AfterLayer = 1; // inside the first call, which runs layers 1 and 2
        backend.OnAfterLayer = cancel.Cancel;
        var adaptive = new ExitPolicySettings(ExitMode.Adaptive, 1f, 3, 0); // certainty from layer 3 on, never sure enough
        DenoiseBatch batch = Batch(latents, (ExitPolicySettings.Full, 2, default), (adaptive, 2, cancel.Token));

        DenoisePass pass = new AdaptiveDenoiser(backend).Run(batch);

        Assert.Equal(["Begin(4)", "RunLayers(2)", "Keep(2)", "RunLayers(3)", "Predict(2)"], backend.Calls);
        Assert.Equal([4, 4, 2, 2, 2], backend.RowsPerLayer);
        Assert.Equal([Depth, Depth, 0, 0], Enumerable.Range(0, 4).Select(batch.ExitLayer).ToArray());
        Assert.Equal(4 * 2 + 2 * 3, pass.RowLayers);
        Assert.Equal(0, pass.CertaintyEvaluations); // the adaptive rows left before any needed it
        for (int row = 0; row < 2; row++)
        {
            Assert.True(Floats.MaxAbsDiff(predictions[Depth - 1].AsSpan(row * size, size), batch.Epsilon(row)) < 1e-5f);
        }
    }

    [Fact]
    public void Run_GroupCancelledDuringTheWholeNetworkCall_ItsResultsAreDiscarded()
    {
        float[] latents = TinyModel.Latents(4, 7);
        (_, float[][] predictions) = TinyModel.Direct(real, latents, Timesteps.AsSpan(0, 4), Labels.AsSpan(0, 4));
        using var cancel = new CancellationTokenSource();
        backend.AfterLayer = 2;
        backend.OnAfterLayer = cancel.Cancel;
        DenoiseBatch batch = Batch(latents, (ExitPolicySettings.Full, 2, default), (ExitPolicySettings.Full, 2, cancel.Token));

        DenoisePass pass = new AdaptiveDenoiser(backend).Run(batch);

        Assert.Equal([$"PredictAtDepth(4, {Depth})"], backend.Calls);
        Assert.Equal([Depth, Depth, 0, 0], Enumerable.Range(0, 4).Select(batch.ExitLayer).ToArray());
        Assert.Equal(4 * Depth, pass.RowLayers); // the cancelled rows ran every layer of the call
        for (int row = 0; row < 2; row++)
        {
            Assert.True(Floats.MaxAbsDiff(predictions[Depth - 1].AsSpan(row * size, size), batch.Epsilon(row)) < 1e-5f);
        }
    }

    [Fact]
    public void Run_GroupCancelledBeforeThePass_ItsRowsNeverRun()
    {
        float[] latents = TinyModel.Latents(4, 9);
        DenoiseBatch batch = Batch(latents, (ExitPolicySettings.Full, 2, default), (ExitPolicySettings.Full, 2, new CancellationToken(true)));

        DenoisePass pass = new AdaptiveDenoiser(backend).Run(batch);

        Assert.Equal(["Begin(4)", "Keep(2)", $"RunLayers({Depth})", "Predict(2)"], backend.Calls);
        Assert.Equal(2 * Depth, pass.RowLayers);
        Assert.Equal([Depth, Depth, 0, 0], Enumerable.Range(0, 4).Select(batch.ExitLayer).ToArray());
    }

    [Fact]
    public void Run_AdaptiveFromMinLayers_PrefixInOneCallThenLayerWithCertaintyPerLayer()
    {
        float[] latents = TinyModel.Latents(2, 10);
        var policy = new ExitPolicySettings(ExitMode.Adaptive, 1f, 3, 0); // never sure enough: every row runs to the end
        DenoiseBatch batch = Batch(latents, (policy, 2, default));

        DenoisePass pass = new AdaptiveDenoiser(backend).Run(batch);

        Assert.Equal(["Begin(2)", "RunLayers(2)", "RunLayerWithCertainty", "RunLayerWithCertainty", "RunLayerWithCertainty", "Predict(2)"], backend.Calls);
        Assert.Equal(new DenoisePass(2, 2L * Depth, Depth, Depth - 2, pass.Seconds), pass);
        Assert.Equal(Depth - 2, batch.UemEvaluations(0));
    }

    [Fact]
    public void Run_FixedDepthOnly_OneCallAtThatDepth()
    {
        float[] latents = TinyModel.Latents(3, 11);
        (_, float[][] predictions) = TinyModel.Direct(real, latents, Timesteps.AsSpan(0, 3), Labels.AsSpan(0, 3));
        var fixed2 = new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, 2);
        DenoiseBatch batch = Batch(latents, (fixed2, 1, default), (fixed2, 2, default));

        DenoisePass pass = new AdaptiveDenoiser(backend).Run(batch);

        Assert.Equal(["PredictAtDepth(3, 2)"], backend.Calls);
        Assert.Equal(new DenoisePass(3, 3L * 2, 2, 0, pass.Seconds), pass);
        for (int row = 0; row < 3; row++)
        {
            Assert.Equal(2, batch.ExitLayer(row));
            Assert.True(Floats.MaxAbsDiff(predictions[1].AsSpan(row * size, size), batch.Epsilon(row)) < 1e-5f);
        }
    }

    [Fact]
    public void Run_EveryGroupCancelled_StopsWithoutRunningLayers()
    {
        float[] latents = TinyModel.Latents(2, 8);
        DenoiseBatch batch = Batch(latents, (ExitPolicySettings.Full, 2, new CancellationToken(true)));

        DenoisePass pass = new AdaptiveDenoiser(backend).Run(batch);

        Assert.Empty(backend.RowsPerLayer);
        Assert.Equal(0, pass.RowLayers);
        Assert.Equal(0, batch.ExitLayer(0));
    }

    /// <summary>
    /// A threshold between two observed certainties (never within 1e-4 of one) that splits the rows into
    /// several exit layers, and the exit layer of each row under it.
    /// </summary>
    private static (float Threshold, int[] ExitLayers) PickThreshold(float[][] certainties, int minLayers)
    {
        int rows = certainties[0].Length;
        float[] values = certainties.Skip(minLayers - 1).Take(Depth - minLayers).SelectMany(c => c).Order().ToArray();
        float bestThreshold = 0;
        int[] best = [];
        int bestDistinct = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] - values[i - 1] < 2e-4f)
            {
                continue;
            }
            float threshold = (values[i] + values[i - 1]) / 2;
            int[] exits = new int[rows];
            for (int row = 0; row < rows; row++)
            {
                exits[row] = Depth;
                for (int layer = minLayers; layer < Depth; layer++)
                {
                    if (certainties[layer - 1][row] >= threshold)
                    {
                        exits[row] = layer;
                        break;
                    }
                }
            }
            int distinct = exits.Distinct().Count();
            if (distinct > bestDistinct)
            {
                (bestThreshold, best, bestDistinct) = (threshold, exits, distinct);
            }
        }
        Assert.True(bestDistinct > 0, "no usable threshold");
        return (bestThreshold, best);
    }
}
