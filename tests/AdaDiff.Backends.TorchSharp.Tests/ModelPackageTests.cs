using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp.Safetensors;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using static TorchSharp.torch;
using AdaDiff.Packaging;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Backends.TorchSharp.Tests;

public sealed class ModelPackageTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("adadiff-pkg-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Load_SavedPackage_GivesSamePredictions()
    {
        ModelManifest config = UViTConfig.Tiny();
        using TorchSharpBackend original = TestModels.Backend(config, seed: 3);
        ModelManifest written = UViTPackage.Save(dir, original.Manifest, original.Model);
        using TorchSharpBackend loaded = TorchSharpBackend.Load(dir, new TorchSharpBackendOptions { Threads = TorchThreads.Pinned });

        Assert.Equal(64, written.Weights.Sha256!.Length);
        (float[] latents, float[] timesteps, int[] labels) = TestModels.Inputs(original.Manifest, 2);
        float[] a = RunFull(original, latents, timesteps, labels);
        float[] b = RunFull(loaded, latents, timesteps, labels);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Load_MissingTensor_NamesFileAndTensor()
    {
        WritePackage(entries => entries.RemoveAll(e => e.Name == "in_blocks.1.attn.qkv.weight"));
        var e = Assert.Throws<InvalidDataException>(() => TorchSharpBackend.Load(dir));
        Assert.Contains("weights.safetensors", e.Message, StringComparison.Ordinal);
        Assert.Contains("missing tensor 'in_blocks.1.attn.qkv.weight'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MisShapedTensor_NamesTensorAndShapes()
    {
        WritePackage(entries =>
        {
            int i = entries.FindIndex(e => e.Name == "decoder_pred.weight");
            entries[i] = SafetensorsTensor.FromSingles("decoder_pred.weight", [2, 2], new float[4]);
        });
        var e = Assert.Throws<InvalidDataException>(() => TorchSharpBackend.Load(dir));
        Assert.Contains("'decoder_pred.weight' has shape [2, 2], expected [4, 32]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnexpectedTensor_NamesTensor()
    {
        WritePackage(entries => entries.Add(SafetensorsTensor.FromSingles("extra.weight", [1], [1f])));
        var e = Assert.Throws<InvalidDataException>(() => TorchSharpBackend.Load(dir));
        Assert.Contains("unexpected tensor 'extra.weight'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WeightsChangedAfterManifest_ThrowsShaMismatch()
    {
        ModelManifest config = UViTConfig.Tiny();
        using TorchSharpBackend backend = TestModels.Backend(config);
        UViTPackage.Save(dir, backend.Manifest, backend.Model);
        string weights = Path.Combine(dir, ModelPackage.WeightsFileName);
        byte[] bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0x55;
        File.WriteAllBytes(weights, bytes);

        var e = Assert.Throws<InvalidDataException>(() => TorchSharpBackend.Load(dir));
        Assert.Contains("SHA-256", e.Message, StringComparison.Ordinal);
        Assert.Contains(weights, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NoManifest_ThrowsNamingPath()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TorchSharpBackend.Load(dir));
        Assert.Contains("model.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TruncatedWeights_ThrowsCorrupt()
    {
        ModelManifest config = UViTConfig.Tiny();
        using TorchSharpBackend backend = TestModels.Backend(config);
        ModelManifest manifest = UViTPackage.Save(dir, backend.Manifest, backend.Model);
        string weights = Path.Combine(dir, ModelPackage.WeightsFileName);
        byte[] bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        (manifest with { Weights = new WeightsFile { File = ModelPackage.WeightsFileName } }).Save(Path.Combine(dir, ModelPackage.ManifestFileName));

        var e = Assert.Throws<InvalidDataException>(() => TorchSharpBackend.Load(dir));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Count_FashionMnistConfig_MatchesDesignFigure()
    {
        FlopCounts flops = FlopCounter.Count(UViTConfig.FashionMnist());
        // DESIGN.md §9: 0.30 GFLOP per forward for D=128, 13 layers, 51 tokens.
        Assert.InRange(flops.FullForward, 0.29e9, 0.31e9);
        Assert.Equal(13, flops.PerLayer.Length);
        Assert.True(flops.PerLayer[12] > flops.PerLayer[0], "out-blocks include skip_linear");
        Assert.Equal(flops.PerLayer[0], flops.PerLayer[6]);
    }

    private void WritePackage(Action<List<SafetensorsTensor>> edit)
    {
        ModelManifest config = UViTConfig.Tiny();
        manual_seed(5);
        using var model = new UViT(config);
        List<SafetensorsTensor> entries = SafetensorsTorch.StateEntries(model);
        edit(entries);
        new SafetensorsFile(entries).Write(Path.Combine(dir, ModelPackage.WeightsFileName));
        TestModels.Manifest(config).Save(Path.Combine(dir, ModelPackage.ManifestFileName));
    }

    private static float[] RunFull(TorchSharpBackend backend, float[] latents, float[] timesteps, int[] labels)
    {
        using IDenoiserBatch batch = backend.Begin(latents, timesteps, labels);
        for (int i = 0; i < backend.Manifest.Depth; i++)
        {
            batch.RunLayer();
        }
        var eps = new float[batch.Count * backend.Manifest.ImageSize];
        batch.Predict(Enumerable.Range(0, batch.Count).ToArray(), eps);
        return eps;
    }
}
