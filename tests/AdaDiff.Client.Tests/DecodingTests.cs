using System.Buffers.Binary;
using AdaDiff.Grpc.V1;
using Google.Protobuf;
using SkiaSharp;

namespace AdaDiff.Client.Tests;

public sealed class DecodingTests
{
    [Fact]
    public void Decode_Float32_ValuesAndShape()
    {
        float[] values = [0f, -1.5f, 3.25f, 1e-3f, 7f, -8f];
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }
        var latent = LatentArray.Decode(new Tensor { Shape = { 1, 2, 3 }, Dtype = DType.Float32, Data = ByteString.CopyFrom(bytes) });
        Assert.Equal([1L, 2, 3], latent.Shape);
        Assert.Equal(values, latent.Data);
        Assert.Equal(-8f, latent[0, 1, 2]);
    }

    [Fact]
    public void Decode_Float16_ValuesWithinHalfPrecision()
    {
        float[] values = [0f, -1.5f, 3.25f, 0.1f];
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)values[i]);
        }
        var latent = LatentArray.Decode(new Tensor { Shape = { 2, 2 }, Dtype = DType.Float16, Data = ByteString.CopyFrom(bytes) });
        Assert.Equal(-1.5f, latent[0, 1]);
        Assert.Equal(3.25f, latent[1, 0]);
        Assert.Equal(0.1f, latent[1, 1], 3);
    }

    [Fact]
    public void Decode_SizeMismatch_Throws() =>
        Assert.Throws<InvalidDataException>(() => LatentArray.Decode(new Tensor { Shape = { 3 }, Dtype = DType.Float32, Data = ByteString.CopyFrom(new byte[8]) }));

    [Fact]
    public void PreviewDecode_Png_PixelsRoundTrip()
    {
        byte[] png = GrayPng(3, 2, (x, y) => x == 2 && y == 1 ? (byte)200 : (byte)0);
        PreviewImage preview = PreviewImage.Decode(png);
        Assert.Equal((3, 2), (preview.Width, preview.Height));
        Assert.Equal(((byte)200, (byte)200, (byte)200), preview[2, 1]);
        Assert.Equal(((byte)0, (byte)0, (byte)0), preview[0, 0]);
    }

    [Fact]
    public void PreviewDecode_NotPng_Throws()
    {
        Assert.Throws<InvalidDataException>(() => PreviewImage.Decode([1, 2, 3, 4]));
        Assert.Throws<InvalidDataException>(() => PreviewImage.Decode([]));
    }

    [Fact]
    public void PreviewDecode_Garbage_ThrowsInvalidData()
    {
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        var e = Assert.Throws<InvalidDataException>(() => PreviewImage.Decode(garbage));
        Assert.StartsWith("Not a PNG image", e.Message, StringComparison.Ordinal);
        // A PNG signature followed by garbage: not a readable header either.
        byte[] signed = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. garbage];
        Assert.Throws<InvalidDataException>(() => PreviewImage.Decode(signed));
    }

    [Fact]
    public void PreviewDecode_Truncated_ThrowsInvalidDataNamingIt()
    {
        byte[] png = NoisePng(28, 28);
        PreviewImage.Decode(png); // whole: decodes
        // Cut inside the header, then inside the image data (half the file: the IDAT chunk is most of it).
        var header = Assert.Throws<InvalidDataException>(() => PreviewImage.Decode(png.AsSpan(0, 20)));
        Assert.Contains("truncated", header.Message, StringComparison.Ordinal);
        var data = Assert.Throws<InvalidDataException>(() => PreviewImage.Decode(png.AsSpan(0, png.Length / 2)));
        Assert.Contains("truncated", data.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PreviewDecode_CorruptImageData_ThrowsInvalidData()
    {
        byte[] png = NoisePng(28, 28);
        png[png.Length / 2] ^= 0xFF; // a byte of the compressed IDAT stream
        Assert.Throws<InvalidDataException>(() => PreviewImage.Decode(png));
    }

    [Fact]
    public void PreviewDecode_HeaderClaimingHugeSize_ThrowsBeforeAllocating()
    {
        byte[] png = NoisePng(28, 28);
        // IHDR width and height 60000 × 60000 (3.6 gigapixels), with the chunk's CRC fixed so that the header is valid.
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 60000);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 60000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        var e = Assert.Throws<InvalidDataException>(() => PreviewImage.Decode(png));
        Assert.Contains("60000×60000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PreviewToBitmap_SamePixels()
    {
        PreviewImage preview = PreviewImage.Decode(NoisePng(5, 4));
        using SKBitmap bitmap = preview.ToBitmap();
        Assert.Equal((5, 4), (bitmap.Width, bitmap.Height));
        for (int y = 0; y < 4; y++)
        {
            for (int x = 0; x < 5; x++)
            {
                SKColor c = bitmap.GetPixel(x, y);
                Assert.Equal(preview[x, y], (c.Red, c.Green, c.Blue));
            }
        }
    }

    /// <summary>An 8-bit grayscale PNG, as the server encodes them.</summary>
    internal static byte[] GrayPng(int width, int height, Func<int, int, byte> level)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bitmap.GetPixelSpan()[(y * width) + x] = level(x, y);
            }
        }
        using SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>The CRC-32 of a PNG chunk (ISO 3309, as zlib computes it) over its type and data.</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = ~0u;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }
        return ~crc;
    }

    /// <summary>Random grey levels (seed 3): an image that does not compress away, so its IDAT chunk is most of the file.</summary>
    internal static byte[] NoisePng(int width, int height)
    {
        var rng = new Random(3);
        return GrayPng(width, height, (_, _) => (byte)rng.Next(256));
    }
}
