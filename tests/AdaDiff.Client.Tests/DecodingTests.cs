using System.Buffers.Binary;
using AdaDiff.Cli.Internal;
using AdaDiff.Grpc.V1;
using Google.Protobuf;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

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
        using var image = new Image<L8>(3, 2);
        image[2, 1] = new L8(200);
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        PreviewImage preview = PreviewImage.Decode(stream.ToArray());
        Assert.Equal((3, 2), (preview.Width, preview.Height));
        Assert.Equal(((byte)200, (byte)200, (byte)200), preview[2, 1]);
        Assert.Equal(((byte)0, (byte)0, (byte)0), preview[0, 0]);
    }

    [Fact]
    public void PreviewDecode_NotPng_Throws() => Assert.Throws<InvalidDataException>(() => PreviewImage.Decode([1, 2, 3, 4]));

    [Fact]
    public void BitmapFont_One_DrawsItsGlyph()
    {
        using var image = new Image<Rgb24>(3, 5);
        BitmapFont.Draw(image, "1", 0, 0, 1, new Rgb24(255, 255, 255));
        // "1": 010 / 110 / 010 / 010 / 111
        string[] expected = ["010", "110", "010", "010", "111"];
        for (int y = 0; y < 5; y++)
        {
            for (int x = 0; x < 3; x++)
            {
                Assert.Equal(expected[y][x] == '1', image[x, y].R == 255);
            }
        }
    }

    [Fact]
    public void BitmapFont_Letters_Rejected()
    {
        using var image = new Image<Rgb24>(10, 10);
        Assert.Throws<ArgumentException>(() => BitmapFont.Draw(image, "a1", 0, 0, 1, default));
        Assert.Equal(((3 * 4) - 1) * 2, BitmapFont.MeasureWidth("123", 2));
    }

    [Fact]
    public void DepthColor_ShallowGreen_FullRed()
    {
        Assert.Equal(new Rgb24(0, 255, 64), DenoisingStrip.DepthColor(1, 13));
        Assert.Equal(new Rgb24(255, 0, 64), DenoisingStrip.DepthColor(13, 13));
    }
}
