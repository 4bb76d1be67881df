using System.Buffers.Binary;
using System.IO.Compression;

namespace AdaDiff.Captions;

/// <summary>
/// Fashion-MNIST as bytes, from its gzipped IDX files (the Debian package dataset-fashion-mnist puts them in
/// <see cref="DefaultDirectory"/>). The trainer's reader (AdaDiff.Backends.TorchSharp) scales to [-1, 1] floats and
/// lives beside libtorch; captions need the bytes and no tensor library, hence this small reader.
/// </summary>
public sealed class FashionMnistImages
{
    /// <summary>Where dataset-fashion-mnist installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Image side in pixels.</summary>
    public const int Side = 28;

    /// <summary>Pixels per image.</summary>
    public const int Pixels = Side * Side;

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
        File.Exists(ImagesPath(directory, train)) && File.Exists(LabelsPath(directory, train));

    /// <summary>
    /// Loads the training (60,000) or test (10,000) split; throws <see cref="FileNotFoundException"/> or
    /// <see cref="InvalidDataException"/> naming the file when it is missing, truncated or corrupt.
    /// </summary>
    public static FashionMnistImages Load(string directory = DefaultDirectory, bool train = true)
    {
        string imagesPath = ImagesPath(directory, train), labelsPath = LabelsPath(directory, train);
        byte[] imageBytes = ReadGzip(imagesPath);
        byte[] labelBytes = ReadGzip(labelsPath);
        int count = ReadHeader(imageBytes, imagesPath, magic: 0x803, dims: 3, out int[] sizes);
        if (sizes[1] != Side || sizes[2] != Side)
        {
            throw new InvalidDataException($"{imagesPath}: images are {sizes[1]}×{sizes[2]}, expected {Side}×{Side}");
        }
        int labelCount = ReadHeader(labelBytes, labelsPath, magic: 0x801, dims: 1, out _);
        if (labelCount != count)
        {
            throw new InvalidDataException($"{labelsPath}: {labelCount} labels for {count} images in {imagesPath}");
        }
        const int imagesHeader = 16, labelsHeader = 8;
        if (imageBytes.Length != imagesHeader + (long)count * Pixels)
        {
            throw new InvalidDataException($"{imagesPath}: {imageBytes.Length - imagesHeader} pixel bytes for {count} images of {Pixels}");
        }
        if (labelBytes.Length != labelsHeader + count)
        {
            throw new InvalidDataException($"{labelsPath}: {labelBytes.Length - labelsHeader} label bytes for {count} labels");
        }
        byte[] labels = labelBytes[labelsHeader..];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] > 9)
            {
                throw new InvalidDataException($"{labelsPath}: label {labels[i]} of image {i} is not a Fashion-MNIST class (0..9)");
            }
        }
        return new FashionMnistImages(imageBytes[imagesHeader..], labels);
    }

    private static string ImagesPath(string directory, bool train) => Path.Combine(directory, $"{(train ? "train" : "t10k")}-images-idx3-ubyte.gz");

    private static string LabelsPath(string directory, bool train) => Path.Combine(directory, $"{(train ? "train" : "t10k")}-labels-idx1-ubyte.gz");

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
