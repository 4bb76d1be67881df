using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine.Backends;
using AdaDiff.Packaging;
using static TorchSharp.torch;

namespace AdaDiff.Engine.Tests;

/// <summary>A small randomly initialised U-ViT on the real TorchSharp backend (1×8×8, D=32, 5 layers, 3 classes unless asked for more).</summary>
internal static class TinyModel
{
    public static readonly ModelManifest Config = UViTConfig.Tiny();

    public static ModelManifest Manifest(int timesteps = 1000, int classes = 3) => UViTConfig.Tiny(classes) with
    {
        NoiseSchedule = new NoiseScheduleSpec { Timesteps = timesteps },
        Weights = new WeightsFile { File = ModelPackage.WeightsFileName },
    };

    /// <summary>The model with <paramref name="classes"/> classes; tests that tell jobs apart by their class labels ask for more.</summary>
    public static TorchSharpBackend Backend(int seed = 1, int timesteps = 1000, int classes = 3)
    {
        ModelManifest manifest = Manifest(timesteps, classes);
        manual_seed(seed);
        var model = new UViT(manifest);
        // Spread the biases so that certainties differ between rows and layers.
        var generator = new Generator((ulong)seed + 100);
        using (no_grad())
        {
            foreach ((string name, Tensor parameter) in model.named_parameters())
            {
                if (name.EndsWith(".bias", StringComparison.Ordinal))
                {
                    parameter.add_(randn(parameter.shape, generator: generator).mul(0.5));
                }
            }
        }
        return new TorchSharpBackend(manifest, model, new TorchSharpBackendOptions { Threads = TorchThreads.Pinned });
    }

    /// <summary>Per-layer certainties [depth][rows] and predictions [depth][rows × size] of a full pass, taken directly from the backend.</summary>
    public static (float[][] Certainties, float[][] Predictions) Direct(IDenoiserBackend backend, ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> labels)
    {
        int depth = backend.Manifest.Depth;
        int rows = timesteps.Length;
        var certainties = new float[depth][];
        var predictions = new float[depth][];
        int[] all = Enumerable.Range(0, rows).ToArray();
        using IDenoiserBatch batch = backend.Begin(latents, timesteps, labels);
        for (int layer = 0; layer < depth; layer++)
        {
            batch.RunLayer();
            certainties[layer] = new float[rows];
            batch.Certainty(certainties[layer]);
            predictions[layer] = new float[rows * backend.Manifest.ImageSize];
            batch.Predict(all, predictions[layer]);
        }
        return (certainties, predictions);
    }

    public static float[] Latents(int rows, int seed) => Floats.Uniform(rows * Config.Channels * Config.Height * Config.Width, new Random(seed));
}
