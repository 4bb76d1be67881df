using System.Buffers.Binary;
using System.IO.Compression;

namespace AdaDiff.Tools.Shared;

/// <summary>
/// Fashion-MNIST's gzipped IDX files read as bytes and checked (the Debian package dataset-fashion-mnist puts them in
/// <see cref="DefaultDirectory"/>). The one reader under the trainer's <c>FashionMnist</c> (floats in [-1, 1], beside
/// libtorch) and the captions' <c>FashionMnistImages</c> (bytes, no tensor library); linked into both projects.
/// </summary>
internal static class FashionMnistIdx
{
    /// <summary>Where dataset-fashion-mnist installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Image side in pixels.</summary>
    public const int Side = 28;

    /// <summary>Pixels per image.</summary>
    public const int Pixels = Side * Side;

    private const int ImagesMagic = 0x00000803, LabelsMagic = 0x00000801;
    private const int ImagesHeader = 16, LabelsHeader = 8;

    /// <summary>The gzipped images of the training (<c>train</c>) or test (<c>t10k</c>) split.</summary>
    public static string ImagesPath(string directory, bool train) => Path.Combine(directory, $"{(train ? "train" : "t10k")}-images-idx3-ubyte.gz");

    /// <summary>The gzipped labels of the training or test split.</summary>
    public static string LabelsPath(string directory, bool train) => Path.Combine(directory, $"{(train ? "train" : "t10k")}-labels-idx1-ubyte.gz");

    /// <summary>
    /// Loads the training (60,000) or test (10,000) split: images [Count, 28, 28] row-major, bytes 0..255 (0 the
    /// background), and labels 0..9. Throws <see cref="FileNotFoundException"/> or <see cref="InvalidDataException"/>
    /// naming the file when it is missing, truncated or corrupt.
    /// </summary>
    public static (byte[] Images, byte[] Labels) Load(string directory, bool train)
    {
        string imagesPath = ImagesPath(directory, train), labelsPath = LabelsPath(directory, train);
        byte[] imageBytes = ReadGzip(imagesPath);
        byte[] labelBytes = ReadGzip(labelsPath);
        int count = ReadHeader(imageBytes, imagesPath, ImagesMagic, dims: 3, out int[] sizes);
        if (sizes[1] != Side || sizes[2] != Side)
        {
            throw new InvalidDataException($"{imagesPath}: images are {sizes[1]}×{sizes[2]}, expected {Side}×{Side}");
        }
        int labelCount = ReadHeader(labelBytes, labelsPath, LabelsMagic, dims: 1, out _);
        if (labelCount != count)
        {
            throw new InvalidDataException($"{labelsPath}: {labelCount} labels for {count} images in {imagesPath}");
        }
        if (imageBytes.Length != ImagesHeader + (long)count * Pixels)
        {
            throw new InvalidDataException($"{imagesPath}: {imageBytes.Length - ImagesHeader} pixel bytes for {count} images of {Pixels} (truncated or oversized)");
        }
        if (labelBytes.Length != LabelsHeader + count)
        {
            throw new InvalidDataException($"{labelsPath}: {labelBytes.Length - LabelsHeader} label bytes for {count} labels (truncated or oversized)");
        }
        byte[] labels = labelBytes[LabelsHeader..];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] > 9)
            {
                throw new InvalidDataException($"{labelsPath}: label {labels[i]} of image {i} is not a Fashion-MNIST class (0..9)");
            }
        }
        return (imageBytes[ImagesHeader..], labels);
    }

    private static byte[] ReadGzip(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: Fashion-MNIST file not found (install the Debian package dataset-fashion-mnist, or pass the folder holding the IDX .gz files)", path);
        }
        try
        {
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var buffer = new MemoryStream();
            gzip.CopyTo(buffer);
            return buffer.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a valid gzip file (corrupt or truncated): {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: gzip stream truncated: {e.Message}", e);
        }
    }

    private static int ReadHeader(byte[] bytes, string path, int magic, int dims, out int[] sizes)
    {
        if (bytes.Length < 4 + 4 * dims)
        {
            throw new InvalidDataException($"{path}: truncated IDX header ({bytes.Length} bytes)");
        }
        int actual = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (actual != magic)
        {
            throw new InvalidDataException($"{path}: IDX magic 0x{actual:x8}, expected 0x{magic:x8} (wrong or corrupt file)");
        }
        sizes = new int[dims];
        for (int i = 0; i < dims; i++)
        {
            sizes[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (sizes[i] <= 0)
            {
                throw new InvalidDataException($"{path}: IDX dimension {i} is {sizes[i]}");
            }
        }
        return sizes[0];
    }
}
