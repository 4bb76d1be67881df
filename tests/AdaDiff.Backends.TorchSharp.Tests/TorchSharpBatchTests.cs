using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Engine.Backends;
using TorchSharp;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Tests;

public sealed class TorchSharpBatchTests
{
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData(3)]
    [InlineData(0)]
    public void RunLayer_AllLayers_PredictionEqualsWholeForward(int numClasses)
    {
        using TorchSharpBackend backend = TestModels.Backend(UViTConfig.Tiny(numClasses));
        var manifest = backend.Manifest;
        const int rows = 4;
        (float[] latents, float[] timesteps, int[] labels) = TestModels.Inputs(manifest, rows);

        float[] expected;
        using (no_grad())
        using (var x = tensor(latents, [rows, manifest.Channels, manifest.Height, manifest.Width]))
        using (var t = tensor(timesteps))
        using (var y = tensor(labels.Select(l => (long)l).ToArray()))
        using (Tensor eps = backend.Model.forward(x, t, numClasses > 0 ? y : null))
        {
            expected = eps.data<float>().ToArray();
        }

        using IDenoiserBatch batch = backend.Begin(latents, timesteps, labels);
        for (int i = 0; i < manifest.Depth; i++)
        {
            batch.RunLayer();
        }
        var actual = new float[rows * manifest.ImageSize];
        batch.Predict([0, 1, 2, 3], actual);

        Assert.Equal(manifest.Depth, batch.LayersRun);
        Assert.True(Floats.MaxAbsDiff(expected, actual) < Tolerance);
        Assert.True(expected.Select(Math.Abs).Max() > 1e-3, "the prediction should not be trivially zero");
    }

    [Fact]
    public void Keep_CompactedBatch_EachSampleMatchesRunningAlone()
    {
        using TorchSharpBackend backend = TestModels.Backend(UViTConfig.Tiny());
        var manifest = backend.Manifest;
        const int rows = 5;
        int size = manifest.ImageSize;
        (float[] latents, float[] timesteps, int[] labels) = TestModels.Inputs(manifest, rows);

        // Batch: drop rows after layers 1, 3 and 4 (in-block, mid and out-block), predict rows at each layer.
        var batchEps = new float[manifest.Depth][];
        var batchCert = new float[manifest.Depth][];
        var original = new List<int> { 0, 1, 2, 3, 4 };
        var rowsAt = new int[manifest.Depth][];
        using (IDenoiserBatch batch = backend.Begin(latents, timesteps, labels))
        {
            for (int layer = 0; layer < manifest.Depth; layer++)
            {
                batch.RunLayer();
                rowsAt[layer] = [.. original];
                batchCert[layer] = new float[batch.Count];
                batch.Certainty(batchCert[layer]);
                int[] all = Enumerable.Range(0, batch.Count).ToArray();
                batchEps[layer] = new float[batch.Count * size];
                batch.Predict(all, batchEps[layer]);
                int[]? keep = layer switch { 0 => [0, 2, 3, 4], 2 => [1, 3], 3 => [1], _ => null };
                if (keep is not null)
                {
                    batch.Keep(keep);
                    original = keep.Select(k => original[k]).ToList();
                    Assert.Equal(keep.Length, batch.Count);
                }
            }
        }

        for (int sample = 0; sample < rows; sample++)
        {
            using IDenoiserBatch alone = backend.Begin(latents.AsSpan(sample * size, size), timesteps.AsSpan(sample, 1), labels.AsSpan(sample, 1));
            var eps = new float[size];
            var cert = new float[1];
            for (int layer = 0; layer < manifest.Depth; layer++)
            {
                alone.RunLayer();
                int position = Array.IndexOf(rowsAt[layer], sample);
                if (position < 0)
                {
                    break;
                }
                alone.Certainty(cert);
                alone.Predict([0], eps);
                Assert.True(Math.Abs(cert[0] - batchCert[layer][position]) < Tolerance, $"certainty of sample {sample} at layer {layer}");
                Assert.True(Floats.MaxAbsDiff(eps, batchEps[layer].AsSpan(position * size, size)) < Tolerance, $"prediction of sample {sample} at layer {layer}");
            }
        }
    }

    [Fact]
    public void Predict_SubsetOfRows_EqualsThoseRowsOfFullPrediction()
    {
        using TorchSharpBackend backend = TestModels.Backend(UViTConfig.Tiny());
        int size = backend.Manifest.ImageSize;
        (float[] latents, float[] timesteps, int[] labels) = TestModels.Inputs(backend.Manifest, 3);
        using IDenoiserBatch batch = backend.Begin(latents, timesteps, labels);
        batch.RunLayer();
        batch.RunLayer();
        var all = new float[3 * size];
        var some = new float[2 * size];
        batch.Predict([0, 1, 2], all);
        batch.Predict([2, 0], some);
        Assert.True(Floats.MaxAbsDiff(all.AsSpan(2 * size, size), some.AsSpan(0, size)) < Tolerance);
        Assert.True(Floats.MaxAbsDiff(all.AsSpan(0, size), some.AsSpan(size, size)) < Tolerance);
    }

    [Fact]
    public void Certainty_EveryLayer_InUnitInterval()
    {
        using TorchSharpBackend backend = TestModels.Backend(UViTConfig.Tiny());
        (float[] latents, float[] timesteps, int[] labels) = TestModels.Inputs(backend.Manifest, 6);
        using IDenoiserBatch batch = backend.Begin(latents, timesteps, labels);
        var certainty = new float[6];
        for (int layer = 0; layer < backend.Manifest.Depth; layer++)
        {
            batch.RunLayer();
            batch.Certainty(certainty);
            Assert.All(certainty, c => Assert.InRange(c, 0f, 1f));
            Assert.True(certainty.Distinct().Count() > 1, "certainty should depend on the sample");
        }
    }

    [Fact]
    public void Dispose_AfterFullBatchWithKeep_LeavesNoLiveTensors()
    {
        using TorchSharpBackend backend = TestModels.Backend(UViTConfig.Tiny());
        int size = backend.Manifest.ImageSize;
        (float[] latents, float[] timesteps, int[] labels) = TestModels.Inputs(backend.Manifest, 4);
        var certainty = new float[4];
        var eps = new float[4 * size];
        // Warm up once so lazily created state (none expected) does not count.
        RunBatch(backend, latents, timesteps, labels, certainty, eps);

        DisposeScopeManager.Statistics.Reset();
        RunBatch(backend, latents, timesteps, labels, certainty, eps);

        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.True(DisposeScopeManager.Statistics.CreatedInScopeCount > 0, "the batch should have created tensors");
    }

    [Fact]
    public void RunLayer_PastDepth_Throws()
    {
        using TorchSharpBackend backend = TestModels.Backend(UViTConfig.Tiny());
        (float[] latents, float[] timesteps, int[] labels) = TestModels.Inputs(backend.Manifest, 1);
        using IDenoiserBatch batch = backend.Begin(latents, timesteps, labels);
        for (int i = 0; i < backend.Manifest.Depth; i++)
        {
            batch.RunLayer();
        }
        Assert.Throws<InvalidOperationException>(batch.RunLayer);
    }

    [Fact]
    public void Keep_RowsNotAscending_Throws()
    {
        using TorchSharpBackend backend = TestModels.Backend(UViTConfig.Tiny());
        (float[] latents, float[] timesteps, int[] labels) = TestModels.Inputs(backend.Manifest, 3);
        using IDenoiserBatch batch = backend.Begin(latents, timesteps, labels);
        batch.RunLayer();
        Assert.Throws<ArgumentException>(() => batch.Keep([2, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.Keep([0, 3]));
    }

    [Fact]
    public void Keep_NoRows_EmptiesBatchAndDisposesCleanly()
    {
        using TorchSharpBackend backend = TestModels.Backend(UViTConfig.Tiny());
        (float[] latents, float[] timesteps, int[] labels) = TestModels.Inputs(backend.Manifest, 2);
        DisposeScopeManager.Statistics.Reset();
        using (IDenoiserBatch batch = backend.Begin(latents, timesteps, labels))
        {
            batch.RunLayer();
            batch.Keep([]);
            Assert.Equal(0, batch.Count);
        }
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Begin_LabelOutOfRange_Throws()
    {
        using TorchSharpBackend backend = TestModels.Backend(UViTConfig.Tiny());
        (float[] latents, float[] timesteps, _) = TestModels.Inputs(backend.Manifest, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.Begin(latents, timesteps, [backend.Manifest.NullClass + 1]));
    }

    private static void RunBatch(TorchSharpBackend backend, float[] latents, float[] timesteps, int[] labels, float[] certainty, float[] eps)
    {
        int size = backend.Manifest.ImageSize;
        using IDenoiserBatch batch = backend.Begin(latents, timesteps, labels);
        for (int layer = 0; layer < backend.Manifest.Depth; layer++)
        {
            batch.RunLayer();
            batch.Certainty(certainty.AsSpan(0, batch.Count));
            batch.Predict([0], eps.AsSpan(0, size));
            if (layer == 1)
            {
                batch.Keep([0, 2, 3]);
            }
        }
    }
}
