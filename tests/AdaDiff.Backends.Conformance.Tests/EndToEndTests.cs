using AdaDiff.Engine;
using AdaDiff.Engine.Scheduling;
using Xunit.Abstractions;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>Whole generations through the engine's scheduler on both backends: the same seeds give the same images.</summary>
[Collection(BackendsCollection.Name)]
public sealed class EndToEndTests(BackendsFixture fixture, ITestOutputHelper output)
{
    [Theory]
    [InlineData(ExitMode.FullDepth)]
    [InlineData(ExitMode.Adaptive)]
    public async Task Generate_SameSeeds_ImagesPsnrAtLeast40dB(ExitMode mode)
    {
        ModelManifest m = fixture.TorchSharp.Manifest;
        var request = new GenerationRequest
        {
            NumImages = 4,
            Seed = 1234,
            Sampler = SamplerKind.Ddim,
            Steps = 10,
            ClassLabel = 7,
            Exit = mode == ExitMode.FullDepth ? ExitPolicySettings.Full : new ExitPolicySettings(ExitMode.Adaptive, 0.5f, 1, 0),
        };
        GenerationRun a = await GenerationRunner.RunAsync(fixture.TorchSharp, request);
        GenerationRun b = await GenerationRunner.RunAsync(fixture.Onnx, request);
        double psnr = Psnr(a.Completed.Images, b.Completed.Images);
        output.WriteLine($"{mode}: PSNR {psnr:F1} dB, layers run torchsharp {a.Completed.Compute.LayersExecuted}, onnxruntime {b.Completed.Compute.LayersExecuted} of {a.Completed.Compute.LayersFull}");
        Assert.True(psnr >= 40, $"PSNR {psnr:F1} dB < 40 dB");
    }

    /// <summary>PSNR of images in [-1, 1] (peak-to-peak 2).</summary>
    internal static double Psnr(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double se = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i];
            se += d * d;
        }
        double mse = se / a.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(4 / mse);
    }
}
