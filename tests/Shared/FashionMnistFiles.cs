using System.Buffers.Binary;
using System.IO.Compression;

namespace AdaDiff.Tests.Shared;

/// <summary>
/// A small Fashion-MNIST training split written as the gzipped IDX files the readers load, with the faults the tests
/// feed them (missing pixel bytes, a wrong magic number). The one copy for the trainer's and the captions' reader tests
/// (linked in as Shared/FashionMnistFiles.cs).
/// </summary>
internal static class FashionMnistFiles
{
    /// <summary>
    /// Writes <c>train-images-idx3-ubyte.gz</c> (<paramref name="count"/> 28×28 images, pixel i of the whole file
    /// <paramref name="pixel"/>(i), the last <paramref name="dropImageBytes"/> left out) and
    /// <c>train-labels-idx1-ubyte.gz</c> into <paramref name="directory"/>.
    /// </summary>
    public static void WriteSplit(string directory, int count, Func<int, byte> pixel, byte[] labels, int dropImageBytes = 0, int imageMagic = 0x803)
    {
        var images = new byte[16 + count * 784 - dropImageBytes];
        BinaryPrimitives.WriteInt32BigEndian(images, imageMagic);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), 28);
        for (int i = 16; i < images.Length; i++)
        {
            images[i] = pixel(i - 16);
        }
        var labelBytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(labelBytes, 0x801);
        BinaryPrimitives.WriteInt32BigEndian(labelBytes.AsSpan(4), labels.Length);
        labels.CopyTo(labelBytes, 8);
        WriteGzip(Path.Combine(directory, "train-images-idx3-ubyte.gz"), images);
        WriteGzip(Path.Combine(directory, "train-labels-idx1-ubyte.gz"), labelBytes);
    }

    private static void WriteGzip(string path, byte[] bytes)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(bytes);
    }
}
