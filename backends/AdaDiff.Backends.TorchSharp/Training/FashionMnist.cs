using AdaDiff.Tools.Shared;

namespace AdaDiff.Backends.TorchSharp.Training;

/// <summary>
/// Fashion-MNIST from its gzipped IDX files (Debian package dataset-fashion-mnist puts them in
/// <see cref="DefaultDirectory"/>): 28×28 grey images scaled to [-1, 1], labels 0..9. Read by the shared IDX reader
/// (tools/Shared/FashionMnistIdx.cs).
/// </summary>
public sealed class FashionMnist
{
    /// <summary>Where dataset-fashion-mnist installs the files.</summary>
    public const string DefaultDirectory = FashionMnistIdx.DefaultDirectory;

    /// <summary>Image side in pixels.</summary>
    public const int Side = FashionMnistIdx.Side;

    /// <summary>Pixels per image.</summary>
    public const int Pixels = FashionMnistIdx.Pixels;

    private FashionMnist(float[] images, byte[] labels)
    {
        Images = images;
        Labels = labels;
    }

    /// <summary>Images, [Count, 28, 28] row-major, in [-1, 1].</summary>
    public float[] Images { get; }

    /// <summary>Class of each image, 0..9.</summary>
    public byte[] Labels { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>
    /// Loads the training (60,000) or test (10,000) split. Throws <see cref="FileNotFoundException"/> or
    /// <see cref="InvalidDataException"/> naming the file when it is missing, truncated or corrupt.
    /// </summary>
    public static FashionMnist Load(string directory = DefaultDirectory, bool train = true)
    {
        (byte[] pixels, byte[] labels) = FashionMnistIdx.Load(directory, train);
        var images = new float[pixels.Length];
        for (int i = 0; i < images.Length; i++)
        {
            images[i] = pixels[i] / 127.5f - 1f;
        }
        return new FashionMnist(images, labels);
    }
}
