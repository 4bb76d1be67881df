using AdaDiff.Server.Internal;

namespace AdaDiff.Server.Tests;

public sealed class PngCodecTests
{
    [Fact]
    public void Encode_OneChannel_Grayscale8BitPngOfTheQuantisedPixels()
    {
        // [N=2, C=1, H=2, W=3]: the second image is encoded; -1 → 0, 1 → 255, 0 → 128 (127.5 rounded up), NaN → 0.
        float[] batch = [0, 0, 0, 0, 0, 0, -1f, 1f, 0f, 0.5f, float.NaN, 2f];
        PngFile png = PngFile.Read(PngCodec.Encode(batch, 1, channels: 1, height: 2, width: 3));

        Assert.Equal((3, 2, 0, 8), (png.Width, png.Height, png.ColorType, png.BitDepth));
        Assert.Equal([0, 255, 128, 191, 0, 255], [png.Gray(0, 0), png.Gray(1, 0), png.Gray(2, 0), png.Gray(0, 1), png.Gray(1, 1), png.Gray(2, 1)]);
    }

    [Fact]
    public void Encode_ThreeChannels_Rgb8BitPngFromPlanes()
    {
        // [N=1, C=3, H=1, W=2]: planes R, G, B.
        float[] batch = [-1f, 1f, 1f, -1f, 0f, 0f];
        PngFile png = PngFile.Read(PngCodec.Encode(batch, 0, channels: 3, height: 1, width: 2));

        Assert.Equal((2, 1, 2, 8), (png.Width, png.Height, png.ColorType, png.BitDepth));
        Assert.Equal(((byte)0, (byte)255, (byte)128), png[0, 0]);
        Assert.Equal(((byte)255, (byte)0, (byte)128), png[1, 0]);
    }

    [Fact]
    public void Encode_FourChannels_Throws()
    {
        var e = Assert.Throws<NotSupportedException>(() => PngCodec.Encode(new float[4], 0, channels: 4, height: 1, width: 1));
        Assert.Contains("4 channels", e.Message, StringComparison.Ordinal);
    }
}
