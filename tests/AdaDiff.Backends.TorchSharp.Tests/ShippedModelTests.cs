using AdaDiff.Engine.Backends;

namespace AdaDiff.Backends.TorchSharp.Tests;

public sealed class ShippedModelTests
{
    private static string PackageDir
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "AdaDiff.Grpc.sln")))
            {
                dir = Path.GetDirectoryName(dir);
            }
            Assert.NotNull(dir);
            return Path.Combine(dir, "models", "fashion-mnist-uvit");
        }
    }

    [Fact]
    public void Load_ShippedFashionMnistPackage_RunsFullDepth()
    {
        using TorchSharpBackend backend = TorchSharpBackend.Load(PackageDir, new TorchSharpBackendOptions { Threads = TorchThreads.Pinned });
        var manifest = backend.Manifest;
        Assert.Equal("fashion-mnist-uvit", manifest.Name);
        Assert.Equal(13, manifest.Depth);
        Assert.Equal(10, manifest.ClassNames.Length);
        Assert.True(new FileInfo(Path.Combine(PackageDir, manifest.Weights.File)).Length <= 16_000_000, "weights must stay within 16 MB");

        (float[] latents, float[] timesteps, int[] labels) = TestModels.Inputs(manifest, 2);
        labels[1] = manifest.NullClass;
        using IDenoiserBatch batch = backend.Begin(latents, timesteps, labels);
        var certainty = new float[2];
        for (int i = 0; i < manifest.Depth; i++)
        {
            batch.RunLayer();
            batch.Certainty(certainty);
            Assert.All(certainty, c => Assert.InRange(c, 0f, 1f));
        }
        var eps = new float[2 * manifest.ImageSize];
        batch.Predict([0, 1], eps);
        Assert.All(eps, v => Assert.True(float.IsFinite(v)));
    }
}
