using AdaDiff.Tools.Shared;

namespace AdaDiff.Captions;

/// <summary>
/// Fashion-MNIST as bytes, from its gzipped IDX files (the Debian package dataset-fashion-mnist puts them in
/// <see cref="DefaultDirectory"/>); captions need the bytes and no tensor library. Read by the IDX reader the trainer's
/// <c>FashionMnist</c> uses too (tools/Shared/FashionMnistIdx.cs).
/// </summary>
public sealed class FashionMnistImages
{
    /// <summary>Where dataset-fashion-mnist installs the files.</summary>
    public const string DefaultDirectory = FashionMnistIdx.DefaultDirectory;

    /// <summary>Image side in pixels.</summary>
    public const int Side = FashionMnistIdx.Side;

    /// <summary>Pixels per image.</summary>
    public const int Pixels = FashionMnistIdx.Pixels;

    private FashionMnistImages(byte[] images, byte[] labels)
    {
        Images = images;
        Labels = labels;
    }

    /// <summary>Images, [Count, 28, 28] row-major, bytes 0..255 (0 the background).</summary>
    public byte[] Images { get; }

    /// <summary>Class of each image, 0..9.</summary>
    public byte[] Labels { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index) => Images.AsSpan(checked(index * Pixels), Pixels);

    /// <summary>True when the training split's files are in <paramref name="directory"/>.</summary>
    public static bool IsPresent(string directory = DefaultDirectory, bool train = true) =>
        File.Exists(FashionMnistIdx.ImagesPath(directory, train)) && File.Exists(FashionMnistIdx.LabelsPath(directory, train));

    /// <summary>
    /// Loads the training (60,000) or test (10,000) split; throws <see cref="FileNotFoundException"/> or
    /// <see cref="InvalidDataException"/> naming the file when it is missing, truncated or corrupt.
    /// </summary>
    public static FashionMnistImages Load(string directory = DefaultDirectory, bool train = true)
    {
        (byte[] images, byte[] labels) = FashionMnistIdx.Load(directory, train);
        return new FashionMnistImages(images, labels);
    }
}
