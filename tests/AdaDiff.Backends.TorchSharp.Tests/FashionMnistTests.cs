using AdaDiff.Backends.TorchSharp.Training;

namespace AdaDiff.Backends.TorchSharp.Tests;

public sealed class FashionMnistTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("adadiff-idx-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Load_ValidFiles_ScalesPixelsToMinusOneOne()
    {
        WriteSplit(count: 2, pixel: i => (byte)(i % 2 == 0 ? 0 : 255), labels: [3, 9]);
        FashionMnist data = FashionMnist.Load(dir, train: true);
        Assert.Equal(2, data.Count);
        Assert.Equal([(byte)3, (byte)9], data.Labels);
        Assert.Equal(-1f, data.Images[0]);
        Assert.Equal(1f, data.Images[1]);
        Assert.Equal(2 * 784, data.Images.Length);
    }

    [Fact]
    public void Load_MissingFile_ThrowsNamingFile()
    {
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(dir, train: false));
        Assert.Contains("t10k-images-idx3-ubyte.gz", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TruncatedImages_ThrowsTruncated()
    {
        WriteSplit(count: 3, pixel: _ => 7, labels: [0, 1, 2], dropImageBytes: 100);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir));
        Assert.Contains("train-images-idx3-ubyte.gz", e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NotGzip_ThrowsCorrupt()
    {
        WriteSplit(count: 1, pixel: _ => 0, labels: [0]);
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte.gz"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir));
        Assert.Contains("train-labels-idx1-ubyte.gz", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WrongMagic_ThrowsNamingMagic()
    {
        WriteSplit(count: 1, pixel: _ => 0, labels: [0], imageMagic: 0x801);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir));
        Assert.Contains("magic", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LabelCountDiffers_Throws()
    {
        WriteSplit(count: 2, pixel: _ => 0, labels: [0]);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir));
        Assert.Contains("1 labels for 2 images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_InstalledTestSplit_Has10000Images()
    {
        if (!File.Exists(Path.Combine(FashionMnist.DefaultDirectory, "t10k-images-idx3-ubyte.gz")))
        {
            return; // dataset-fashion-mnist not installed on this machine
        }
        FashionMnist data = FashionMnist.Load(train: false);
        Assert.Equal(10_000, data.Count);
        Assert.InRange(data.Images.Min(), -1f, -0.99f);
        Assert.InRange(data.Images.Max(), 0.99f, 1f);
    }

    private void WriteSplit(int count, Func<int, byte> pixel, byte[] labels, int dropImageBytes = 0, int imageMagic = 0x803) =>
        FashionMnistFiles.WriteSplit(dir, count, pixel, labels, dropImageBytes, imageMagic);
}
