using System.Buffers.Binary;
using System.IO.Compression;
using AdaDiff.Backends.TorchSharp.Training;

namespace AdaDiff.Evaluation.Tests.Text;

/// <summary>
/// The first images of each Fashion-MNIST split written as IDX files of their own, so that an end-to-end evaluation
/// embeds hundreds of test images rather than 10,000 (the same reader, the same format, fewer images).
/// </summary>
internal static class SmallFashionMnist
{
    /// <summary>Writes the first <paramref name="count"/> images and labels of both splits into <paramref name="dir"/>; returns it.</summary>
    public static string Write(string dir, int count)
    {
        Directory.CreateDirectory(dir);
        foreach (string split in new[] { "train", "t10k" })
        {
            Copy($"{split}-images-idx3-ubyte.gz", dir, headerBytes: 16, itemBytes: 28 * 28, count);
            Copy($"{split}-labels-idx1-ubyte.gz", dir, headerBytes: 8, itemBytes: 1, count);
        }
        return dir;
    }

    private static void Copy(string file, string dir, int headerBytes, int itemBytes, int count)
    {
        byte[] all;
        using (var input = new GZipStream(File.OpenRead(Path.Combine(FashionMnist.DefaultDirectory, file)), CompressionMode.Decompress))
        using (var buffer = new MemoryStream())
        {
            input.CopyTo(buffer);
            all = buffer.ToArray();
        }
        byte[] part = all[..(headerBytes + (count * itemBytes))];
        BinaryPrimitives.WriteInt32BigEndian(part.AsSpan(4, 4), count); // the item count follows the magic number
        using var output = new GZipStream(File.Create(Path.Combine(dir, file)), CompressionLevel.Fastest);
        output.Write(part);
    }
}
