using System.Globalization;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine;
using AdaDiff.Engine.Exits;
using AdaDiff.Engine.Sampling;
using Xunit.Abstractions;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Parity.Tests;

/// <summary>
/// The reference's <c>sample</c> (the PyTorch speed baseline) against the engine's own parts on the TorchSharp
/// backend (ImageRandom noise, AdaptiveDenoiser exits, DdimSampler, guidance as GenerationJob combines it):
/// same seeds give the same exit layer per image and step and the same images, so the baseline does the
/// server's work and not something cheaper.
/// </summary>
public sealed class SamplingParityTests(ITestOutputHelper output) : IDisposable
{
    private const int Images = 3;
    private const int Steps = 8;
    private const ulong Seed = 40;

    // Network outputs agree to ~1e-6, but DDIM multiplies ε by √(1/ᾱ−1) (≈156 at t=999) in x0 and guidance by w:
    // 8 steps here end 1e-5–9e-5 apart, so images get 5e-4 (a wrong step or noise would be off by ~0.1–1).
    private const float ImageTolerance = 5e-4f;

    private readonly string temp = Directory.CreateTempSubdirectory("adadiff-parity-").FullName;

    [Theory]
    [InlineData("full", 1.0f, 0f, 0)]
    [InlineData("fixed", 2.5f, 0f, 2)]
    [InlineData("adaptive", 1.0f, 0.5f, 0)]
    [InlineData("adaptive", 3.0f, 0.5f, 0)]
    public void Ddim_SameSeeds_SameExitsAndImagesAsEngine(string mode, float guidance, float threshold, int fixedDepth)
    {
        PythonReference.RequireTorch();
        string package = TestPackages.WriteRandom(temp, "conditional-d64-l5", seed: 5);
        using TorchSharpBackend backend = TorchSharpBackend.Load(package, new TorchSharpBackendOptions { Threads = TorchThreads.Pinned });
        const int label = 1;
        var policy = mode switch
        {
            "full" => ExitPolicySettings.Full,
            "fixed" => new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, fixedDepth),
            _ => new ExitPolicySettings(ExitMode.Adaptive, threshold, 1, 0),
        };
        (float[] images, int[,] exits) = EngineSample(backend, policy, label, guidance);

        string outputPath = Path.Combine(temp, "samples.safetensors");
        (int code, string stdout, string stderr) = PythonReference.Run(
            "sample", package, "--images", $"{Images}", "--batch", $"{Images}", "--steps", $"{Steps}", "--seed", $"{Seed}",
            "--label", $"{label}", "--guidance", guidance.ToString(CultureInfo.InvariantCulture), "--mode", mode,
            "--threshold", threshold.ToString(CultureInfo.InvariantCulture), "--min-layers", "1", "--fixed-depth", $"{fixedDepth}",
            "--out", outputPath);
        Assert.True(code == 0, $"uvit_reference.py sample exited with {code}\nstdout: {stdout}\nstderr: {stderr}");
        output.WriteLine(stdout.Trim());
        var reference = SafetensorsFile.Read(outputPath);
        long[] referenceExits = reference.ByName["exit_layers"].ToInt64s();   // [steps, N]
        float[] referenceImages = reference.ByName["images"].ToSingles();     // [N, C, H, W]

        var distinct = new HashSet<int>();
        for (int s = 0; s < Steps; s++)
        {
            for (int k = 0; k < Images; k++)
            {
                Assert.True(exits[s, k] == referenceExits[(s * Images) + k], $"step {s}, image {k}: engine exits at layer {exits[s, k]}, the reference at {referenceExits[(s * Images) + k]}");
                distinct.Add(exits[s, k]);
            }
        }
        if (mode == "adaptive")
        {
            Assert.True(distinct.Count > 1, $"threshold {threshold} gives one exit layer everywhere; pick one that splits the images");
        }
        float maxAbs = 0;
        for (int i = 0; i < images.Length; i++)
        {
            maxAbs = Math.Max(maxAbs, Math.Abs(images[i] - referenceImages[i]));
        }
        output.WriteLine($"{mode}, guidance {guidance}: exit layers {string.Join(",", distinct.Order())}; images max|Δ| {maxAbs:E2}");
        Assert.True(maxAbs <= ImageTolerance, $"images differ by {maxAbs:E2} (> {ImageTolerance:E0})");
    }

    public void Dispose() => Directory.Delete(temp, recursive: true);

    /// <summary>GenerationJob's loop for one request, with the engine's parts: x_T from ImageRandom(seed + k), one batch per step.</summary>
    private static (float[] Images, int[,] Exits) EngineSample(TorchSharpBackend backend, ExitPolicySettings policy, int label, float guidance)
    {
        ModelManifest manifest = backend.Manifest;
        int size = manifest.ImageSize;
        bool guided = guidance != 1f;
        var latents = new float[Images * size];
        for (int k = 0; k < Images; k++)
        {
            new ImageRandom(Seed + (ulong)k).FillGaussian(latents.AsSpan(k * size, size));
        }
        Sampler sampler = Sampler.Create(SamplerKind.Ddim, new NoiseSchedule(manifest.NoiseSchedule), Steps, latents.Length);
        var denoiser = new AdaptiveDenoiser(backend);
        var batch = new DenoiseBatch(size, 2 * Images);
        var epsilon = new float[latents.Length];
        var predictedX0 = new float[latents.Length];
        var exits = new int[Steps, Images];
        for (int s = 0; s < Steps; s++)
        {
            batch.Clear();
            batch.AddGroup(ExitPolicy.Create(policy), s, CancellationToken.None);
            for (int k = 0; k < Images; k++)
            {
                batch.AddImage(latents.AsSpan(k * size, size), sampler.Timesteps[s], label, guided ? manifest.NullClass : null);
            }
            denoiser.Run(batch);
            for (int k = 0; k < Images; k++)
            {
                int row = batch.ImageFirstRow(k);
                exits[s, k] = batch.ImageExitLayer(k);
                ReadOnlySpan<float> conditional = batch.Epsilon(row);
                Span<float> eps = epsilon.AsSpan(k * size, size);
                for (int i = 0; i < size; i++)
                {
                    // ε = ε_u + w(ε_c − ε_u), as GenerationJob.Advance
                    eps[i] = guided ? batch.Epsilon(row + 1)[i] + (guidance * (conditional[i] - batch.Epsilon(row + 1)[i])) : conditional[i];
                }
            }
            sampler.Step(s, latents, epsilon, [], predictedX0);
        }
        return (latents, exits);
    }
}
