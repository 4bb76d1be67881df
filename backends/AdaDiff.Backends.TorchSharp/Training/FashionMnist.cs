using System.Buffers.Binary;
using System.IO.Compression;

namespace AdaDiff.Backends.TorchSharp.Training;

/// <summary>
/// Fashion-MNIST from its gzipped IDX files (Debian package dataset-fashion-mnist puts them in
/// <see cref="DefaultDirectory"/>): 28×28 grey images scaled to [-1, 1], labels 0..9.
/// </summary>
public sealed class FashionMnist
{
    /// <summary>Where dataset-fashion-mnist installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Image side in pixels.</summary>
    public const int Side = 28;

    /// <summary>Pixels per image.</summary>
    public const int Pixels = Side * Side;

    private const int ImagesMagic = 0x00000803;
    private const int LabelsMagic = 0x00000801;

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
        string prefix = train ? "train" : "t10k";
        string imagesPath = Path.Combine(directory, $"{prefix}-images-idx3-ubyte.gz");
        string labelsPath = Path.Combine(directory, $"{prefix}-labels-idx1-ubyte.gz");
        byte[] imageBytes = ReadGzip(imagesPath);
        byte[] labelBytes = ReadGzip(labelsPath);

        int count = ReadHeader(imageBytes, imagesPath, ImagesMagic, dims: 3, out int[] imageDims);
        if (imageDims[1] != Side || imageDims[2] != Side)
        {
            throw new InvalidDataException($"{imagesPath}: images are {imageDims[1]}×{imageDims[2]}, expected {Side}×{Side}");
        }
        int labelCount = ReadHeader(labelBytes, labelsPath, LabelsMagic, dims: 1, out _);
        if (labelCount != count)
        {
            throw new InvalidDataException($"{labelsPath}: {labelCount} labels for {count} images in {imagesPath}");
        }
        const int imagesHeader = 16, labelsHeader = 8;
        if (imageBytes.Length != imagesHeader + (long)count * Pixels)
        {
            throw new InvalidDataException($"{imagesPath}: truncated or oversized: {imageBytes.Length - imagesHeader} pixel bytes for {count} images of {Pixels}");
        }
        if (labelBytes.Length != labelsHeader + count)
        {
            throw new InvalidDataException($"{labelsPath}: truncated or oversized: {labelBytes.Length - labelsHeader} label bytes for {count} labels");
        }
        var labels = labelBytes.AsSpan(labelsHeader).ToArray();
        foreach (byte label in labels)
        {
            if (label > 9)
            {
                throw new InvalidDataException($"{labelsPath}: label {label} is not a Fashion-MNIST class (0..9)");
            }
        }
        var images = new float[(long)count * Pixels];
        ReadOnlySpan<byte> pixels = imageBytes.AsSpan(imagesHeader);
        for (int i = 0; i < images.Length; i++)
        {
            images[i] = pixels[i] / 127.5f - 1f;
        }
        return new FashionMnist(images, labels);
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
        int headerBytes = 4 + 4 * dims;
        if (bytes.Length < headerBytes)
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
