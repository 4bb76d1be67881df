using AdaDiff.Captions;

namespace AdaDiff.Captions.Tests;

public sealed class FashionMnistImagesTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("captions-idx-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Load_SmallSplit_BytesAndLabels()
    {
        WriteSplit(count: 2, pixel: i => (byte)(i % 251), labels: [3, 9]);

        FashionMnistImages data = FashionMnistImages.Load(dir);

        Assert.Equal(2, data.Count);
        Assert.Equal([3, 9], data.Labels);
        Assert.Equal((byte)(784 % 251), data.Image(1)[0]);
        Assert.True(FashionMnistImages.IsPresent(dir));
        Assert.False(FashionMnistImages.IsPresent(dir, train: false));
    }

    [Fact]
    public void Load_Missing_SaysWhatToInstall()
    {
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnistImages.Load(dir));
        Assert.Contains("dataset-fashion-mnist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Truncated_NamesTheFile()
    {
        WriteSplit(count: 2, pixel: _ => 0, labels: [0, 1], dropImageBytes: 10);

        var e = Assert.Throws<InvalidDataException>(() => FashionMnistImages.Load(dir));
        Assert.Contains("train-images-idx3-ubyte.gz: 1558 pixel bytes for 2 images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WrongMagic_Throws()
    {
        WriteSplit(count: 1, pixel: _ => 0, labels: [0], imageMagic: 0x801);

        var e = Assert.Throws<InvalidDataException>(() => FashionMnistImages.Load(dir));
        Assert.Contains("magic", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LabelOutOfRange_Throws()
    {
        WriteSplit(count: 1, pixel: _ => 0, labels: [10]);

        var e = Assert.Throws<InvalidDataException>(() => FashionMnistImages.Load(dir));
        Assert.Contains("label 10 of image 0", e.Message, StringComparison.Ordinal);
    }

    [FashionMnistFact]
    public void Load_InstalledTrainingSplit_Has60000Images() =>
        Assert.Equal(60_000, TrainingSet.Report.Labels.Length);

    private void WriteSplit(int count, Func<int, byte> pixel, byte[] labels, int dropImageBytes = 0, int imageMagic = 0x803) =>
        FashionMnistFiles.WriteSplit(dir, count, pixel, labels, dropImageBytes, imageMagic);
}
