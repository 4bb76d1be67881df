using AdaDiff.Backends.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Tests;

/// <summary>
/// The trainer's guard against a libtorch kernel defect (<see cref="TrainingKernels"/>): with its kernels, the input
/// gradient of the U-ViT's final 1→1-channel 3×3 convolution is the true one for any batch, checked against the same
/// convolution in float64 (which oneDNN never runs). With oneDNN on, that gradient is wrong on some CPUs (about a
/// hundredth of the true one for a batch of 2 on an AVX-512 EPYC), which is why the trainer switches it off.
/// </summary>
public sealed class TrainingKernelsTests
{
    [Fact]
    public void ConfigureThenRestore_TheFlagsReadBackEachTime()
    {
        try
        {
            TrainingKernels.Configure();
            Assert.False(TrainingKernels.OneDnnEnabled);
            Assert.False(TrainingKernels.NnpackEnabled);
            TrainingKernels.Restore();
            Assert.True(TrainingKernels.OneDnnEnabled);
            Assert.True(TrainingKernels.NnpackEnabled);
        }
        finally
        {
            TrainingKernels.Restore();
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(16)]
    public void FinalLayerInputGradient_OnTrainingKernels_IsTheFloat64One(int batch)
    {
        try
        {
            TrainingKernels.Configure();
            using var scope = NewDisposeScope();
            using var generator = new Generator(7);
            Tensor weight = randn([1, 1, 3, 3], generator: generator);                        // [1, 1, 3, 3]
            Tensor x = randn([batch, 1, 28, 28], generator: generator).requires_grad_(true);   // [B, 1, 28, 28]
            Tensor upstream = randn([batch, 1, 28, 28], generator: generator);                // ∂L/∂y, [B, 1, 28, 28]
            (nn.functional.conv2d(x, weight, padding: [1, 1]) * upstream).sum().backward();

            Tensor x64 = x.detach().to_type(ScalarType.Float64).requires_grad_(true);          // [B, 1, 28, 28]
            (nn.functional.conv2d(x64, weight.to_type(ScalarType.Float64), padding: [1, 1]) * upstream.to_type(ScalarType.Float64)).sum().backward();

            double error = (x.grad!.to_type(ScalarType.Float64) - x64.grad!).abs().max().item<double>();
            double scale = x64.grad!.abs().max().item<double>();
            Assert.True(error <= 1e-5 * scale, $"batch {batch}: input gradient off by {error} (largest {scale})");
        }
        finally
        {
            TrainingKernels.Restore();
        }
    }
}
