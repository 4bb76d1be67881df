using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Packaging;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Tools.Tests;

/// <summary><c>adadiff-tools prune</c> as a user runs it, on the tiny trained package.</summary>
public sealed partial class TrainCommandTests
{
    [Fact]
    public async Task Prune_TinyPackage_WritesASmallerPackageThatLoadsAndRuns()
    {
        Assert.Equal(0, (await Tools(Tiny("prune-source", "--max-steps", "2"))).ExitCode);
        string source = Path.Combine(root, "prune-source", "package");
        string pruned = Path.Combine(root, "pruned");
        ToolsResult result = await Tools("prune", "--from", source, "--package", pruned, "--keep-heads", "1", "--keep-mlp", "0.5",
            "--steps", "2", "--batch", "8", "--warmup", "1", "--threads", "1", "--log-every", "1");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("1 of 2 heads and 50 % of the MLP channels per layer", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("step 2/2 loss", result.Stderr, StringComparison.Ordinal);

        ModelManifest before = ModelManifest.Load(Path.Combine(source, ModelPackage.ManifestFileName));
        ModelManifest after = ModelManifest.Load(Path.Combine(pruned, ModelPackage.ManifestFileName));
        Assert.Equal(Enumerable.Repeat(1, 3), after.Pruning!.Heads);
        Assert.Equal(Enumerable.Repeat(64, 3), after.Pruning.MlpHidden); // half of 4 × 32
        Assert.True(after.Flops.PerLayer.Sum() < 0.6 * before.Flops.PerLayer.Sum());
        Assert.True(new FileInfo(Path.Combine(pruned, "weights.safetensors")).Length < 0.8 * new FileInfo(Path.Combine(source, "weights.safetensors")).Length);
        Assert.Equal(16, SafetensorsFile.Read(Path.Combine(pruned, "weights.safetensors")).ByName["in_blocks.0.attn.proj.weight"].Shape[1]);

        // The package serves: loaded by the backend from its manifest, every layer predicts finite noise.
        using TorchSharpBackend backend = TorchSharpBackend.Load(pruned, new TorchSharpBackendOptions { Threads = 1 });
        float[] x = new float[2 * after.ImageSize];
        using IDenoiserBatch batch = backend.Begin(x, [10f, 900f], [0, after.NullClass]);
        var eps = new float[x.Length];
        for (int layer = 0; layer < after.Depth; layer++)
        {
            batch.RunLayer();
        }
        batch.Predict([0, 1], eps);
        Assert.All(eps, e => Assert.True(float.IsFinite(e)));
    }

    [Fact]
    public async Task Prune_BadInputs_ClearErrorsAndNothingWritten()
    {
        Assert.Equal(0, (await Tools(Tiny("prune-bad", "--max-steps", "1"))).ExitCode);
        string source = Path.Combine(root, "prune-bad", "package");
        string target = Path.Combine(root, "never");
        ToolsResult tooMany = await Tools("prune", "--from", source, "--package", target, "--keep-heads", "3", "--steps", "0");
        Assert.Equal(2, tooMany.ExitCode);
        Assert.Contains("--keep-heads 3: the model has 2 heads per layer", tooMany.Stderr, StringComparison.Ordinal);
        ToolsResult share = await Tools("prune", "--from", source, "--package", target, "--keep-mlp", "1.5");
        Assert.Equal(2, share.ExitCode);
        Assert.Contains("--keep-mlp: must be in (0, 1]", share.Stderr, StringComparison.Ordinal);
        ToolsResult sameFolder = await Tools("prune", "--from", source, "--package", source);
        Assert.Equal(2, sameFolder.ExitCode);
        Assert.Contains("--package must be another folder than --from", sameFolder.Stderr, StringComparison.Ordinal);
        ToolsResult missing = await Tools("prune", "--from", Path.Combine(root, "nothing"), "--package", target);
        Assert.Equal(1, missing.ExitCode);
        Assert.False(Directory.Exists(target));
    }
}
