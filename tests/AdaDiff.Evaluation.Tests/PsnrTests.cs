using AdaDiff.Evaluation.Metrics;

namespace AdaDiff.Evaluation.Tests;

public class PsnrTests
{
    [Fact]
    public void Compute_ConstantOffset_Is10Log10OfRangeSquaredOverMse()
    {
        float[] a = [-1f, 0f, 0.5f, 0.8f];
        float[] b = a.Select(x => x - 0.2f).ToArray(); // MSE 0.04, range 2: 10·log10(4 / 0.04) = 20 dB

        Assert.Equal(20.0, Psnr.Compute(a, b), 4);
    }

    [Fact]
    public void Compute_IdenticalImages_IsCapped()
    {
        float[] a = [0.1f, 0.2f];

        Assert.Equal(Psnr.IdenticalDb, Psnr.Compute(a, a));
    }

    [Fact]
    public void Mean_TwoImages_AveragesPerImageValues()
    {
        float[] a = [0f, 0f, 0f, 0f];
        float[] b = [0.2f, 0.2f, 2f, 2f]; // image 0: MSE 0.04 → 20 dB; image 1: MSE 4 → 0 dB

        Assert.Equal(10.0, Psnr.Mean(a, b, count: 2), 4);
    }

    [Fact]
    public void Compute_DifferentSizes_Throws()
    {
        Assert.Throws<ArgumentException>(() => Psnr.Compute([1f, 2f], [1f]));
    }
}
