using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine;
using AdaDiff.Packaging;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Tests;

/// <summary>Tiny models and inputs shared by the tests.</summary>
internal static class TestModels
{
    /// <summary>A configuration (<see cref="UViTConfig"/>) as a package's manifest named <paramref name="name"/>.</summary>
    public static ModelManifest Manifest(ModelManifest config, string name = "tiny") =>
        config with { Name = name, Weights = new WeightsFile { File = ModelPackage.WeightsFileName } };

    public static TorchSharpBackend Backend(ModelManifest config, int seed = 1)
    {
        manual_seed(seed);
        var model = new UViT(config);
        RandomizeBiases(model, seed);
        return new TorchSharpBackend(Manifest(config), model, new TorchSharpBackendOptions { Threads = TorchThreads.Pinned });
    }

    /// <summary>Non-zero biases and norms so a test notices a wrong tensor or token order.</summary>
    public static void RandomizeBiases(UViT model, int seed)
    {
        var generator = new Generator((ulong)seed + 100);
        using var noGrad = no_grad();
        foreach ((string name, Tensor parameter) in model.named_parameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal) || name.Contains("norm", StringComparison.Ordinal))
            {
                parameter.add_(randn(parameter.shape, generator: generator).mul(0.1));
            }
        }
    }

    public static (float[] Latents, float[] Timesteps, int[] Labels) Inputs(ModelManifest manifest, int rows, int seed = 7)
    {
        var random = new Random(seed);
        float[] latents = Floats.Uniform(rows * manifest.ImageSize, random);
        var timesteps = new float[rows];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            timesteps[r] = random.Next(0, manifest.NoiseSchedule.Timesteps);
            labels[r] = random.Next(0, manifest.NullClass + 1);
        }
        return (latents, timesteps, labels);
    }
}
