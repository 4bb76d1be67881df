using AdaDiff.Captions;

namespace AdaDiff.Captions.Tests;

public class ImageAttributesTests
{
    private const int Side = 28;

    /// <summary>A 28×28 image in [0, 1] with a filled rectangle of <paramref name="value"/> at columns x..x+w-1, rows y..y+h-1.</summary>
    internal static float[] Rectangle(int x, int y, int w, int h, float value)
    {
        var image = new float[Side * Side];
        for (int row = y; row < y + h; row++)
        {
            for (int col = x; col < x + w; col++)
            {
                image[row * Side + col] = value;
            }
        }
        return image;
    }

    [Fact]
    public void Measure_FilledRectangle_KnownSizeBrightnessAspectAndNoTexture()
    {
        // 20 wide, 10 tall, intensity 0.6: 200 ink pixels of 784.
        ImageAttributes a = ImageAttributes.Measure(Rectangle(x: 4, y: 9, w: 20, h: 10, value: 0.6f), Side, Side);

        Assert.Equal(200, a.InkPixels);
        Assert.Equal(200.0 / 784, a.Coverage, 12);
        Assert.Equal(0.6, a.Brightness, 6);
        Assert.Equal(20, a.BoxWidth);
        Assert.Equal(10, a.BoxHeight);
        Assert.Equal(2.0, a.Aspect, 12);
        Assert.Equal(0.0, a.Texture, 6); // constant inside: the Laplacian is zero; the outline does not count
    }

    [Fact]
    public void Measure_TallRectangle_AspectIsWidthOverHeight()
    {
        ImageAttributes a = ImageAttributes.Measure(Rectangle(x: 10, y: 0, w: 7, h: 28, value: 1f), Side, Side);

        Assert.Equal(7.0 / 28, a.Aspect, 12);
        Assert.Equal(1.0, a.Brightness, 12);
    }

    [Fact]
    public void Measure_BackgroundBelowInkLevel_IsNotGarment()
    {
        float[] image = Rectangle(x: 0, y: 0, w: 28, h: 28, value: 0.09f); // faint haze over the whole frame
        for (int row = 5; row < 9; row++)
        {
            for (int col = 5; col < 9; col++)
            {
                image[row * Side + col] = 0.8f;
            }
        }

        ImageAttributes a = ImageAttributes.Measure(image, Side, Side);

        Assert.Equal(16, a.InkPixels);
        Assert.Equal(0.8, a.Brightness, 6);
        Assert.Equal(1.0, a.Aspect, 12);
    }

    [Fact]
    public void Measure_TwoLevelsOfInk_BrightnessIsMeanOverInkOnly()
    {
        // Left half of a 10×10 square at 0.4, right half at 1.0: mean ink 0.7 whatever the background.
        float[] image = Rectangle(x: 2, y: 2, w: 10, h: 10, value: 0.4f);
        for (int row = 2; row < 12; row++)
        {
            for (int col = 7; col < 12; col++)
            {
                image[row * Side + col] = 1f;
            }
        }

        ImageAttributes a = ImageAttributes.Measure(image, Side, Side);

        Assert.Equal(0.7, a.Brightness, 6);
        Assert.Equal(100.0 / 784, a.Coverage, 12);
        // Inside pixels: 8×8 = 64; the seam columns 6 and 7 (rows 3..10) have |Laplacian| 0.6, the rest 0.
        Assert.Equal(16 * 0.6 / 64, a.Texture, 6);
    }

    [Fact]
    public void Measure_StripedInside_HasTextureOfTheStripes()
    {
        // Vertical stripes 0.5 / 1.0 alternating by column: every inside pixel has |4c − 2c − 2c'| = 2·|c − c'| = 1.0.
        var image = new float[Side * Side];
        for (int row = 4; row < 24; row++)
        {
            for (int col = 4; col < 24; col++)
            {
                image[row * Side + col] = col % 2 == 0 ? 0.5f : 1f;
            }
        }

        ImageAttributes a = ImageAttributes.Measure(image, Side, Side);

        Assert.Equal(1.0, a.Texture, 6);
        Assert.Equal(0.75, a.Brightness, 6);
    }

    [Fact]
    public void Measure_BlankImage_IsDarkSmallSquareAndPlain()
    {
        ImageAttributes a = ImageAttributes.Measure(new float[Side * Side], Side, Side);

        Assert.Equal(new ImageAttributes(0, 0, 1, 0, 0, 0, 0), a);
        Assert.Equal(new AttributeBuckets(Brightness.Dark, GarmentSize.Small, Aspect.Square, Texture.Plain), AttributeThresholds.FashionMnist.Classify(a));
    }

    [Fact]
    public void Measure_BytesAndUnitFloats_Agree()
    {
        var bytes = new byte[Side * Side];
        var unit = new float[Side * Side];
        var random = new Random(7);
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i % 3 == 0 ? 0 : random.Next(256));
            unit[i] = bytes[i] / 255f;
        }

        ImageAttributes fromBytes = ImageAttributes.Measure(bytes, Side, Side);
        ImageAttributes fromFloats = ImageAttributes.Measure(unit, Side, Side);

        Assert.Equal(fromBytes.InkPixels, fromFloats.InkPixels);
        Assert.Equal(fromBytes.Brightness, fromFloats.Brightness, 6);
        Assert.Equal(fromBytes.Texture, fromFloats.Texture, 6);
        Assert.Equal(fromBytes.Aspect, fromFloats.Aspect, 12);
    }

    [Fact]
    public void MeasureModelOutput_MinusOneToOne_MapsToUnitAndClamps()
    {
        float[] unit = Rectangle(x: 4, y: 9, w: 20, h: 10, value: 0.6f);
        float[] signed = unit.Select(v => v * 2f - 1f).ToArray();
        signed[0] = -1.3f; // a sampler overshoots: clamped to background
        signed[9 * Side + 4] = 1.4f; // and to full ink

        ImageAttributes a = ImageAttributes.MeasureModelOutput(signed, Side, Side);

        Assert.Equal(200, a.InkPixels);
        Assert.Equal((199 * 0.6 + 1.0) / 200, a.Brightness, 5);
    }

    [Fact]
    public void Measure_NaN_CountsAsBackground()
    {
        float[] image = Rectangle(x: 4, y: 4, w: 2, h: 2, value: 1f);
        image[0] = float.NaN;

        Assert.Equal(4, ImageAttributes.Measure(image, Side, Side).InkPixels);
    }

    [Fact]
    public void Measure_WrongPixelCount_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => ImageAttributes.Measure(new float[100], Side, Side));
        Assert.Contains("100 pixels for a 28×28 image", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Measure_LargerImage_UsesTheSameDefinitions()
    {
        // 100×80 (beyond the stack buffer), a 50×20 rectangle.
        var image = new float[100 * 80];
        for (int row = 30; row < 50; row++)
        {
            for (int col = 25; col < 75; col++)
            {
                image[row * 100 + col] = 0.5f;
            }
        }

        ImageAttributes a = ImageAttributes.Measure(image, 100, 80);

        Assert.Equal(1000, a.InkPixels);
        Assert.Equal(2.5, a.Aspect, 12);
        Assert.Equal(0.5, a.Brightness, 6);
    }
}
