using AdaDiff.Captions;
using AdaDiff.Evaluation.Text;

namespace AdaDiff.Evaluation.Tests.Text;

public sealed class PromptScoringTests
{
    private static readonly AttributeBuckets DarkSmallWidePlain = new(Brightness.Dark, GarmentSize.Small, Aspect.Wide, Texture.Plain);
    private static readonly AttributeBuckets BrightLargeTallTextured = new(Brightness.Bright, GarmentSize.Large, Aspect.Tall, Texture.Textured);

    // Test-set shares: class 9 is 30%, class 1 is 10%, the rest 60% spread; brightness dark 50%, bright 50%.
    private static double[][] TestDistribution()
    {
        var classes = new double[10];
        classes[9] = 0.3;
        classes[1] = 0.1;
        classes[0] = 0.6;
        return [classes, [0.5, 0, 0.5], [1.0 / 3, 1.0 / 3, 1.0 / 3], [1.0 / 3, 1.0 / 3, 1.0 / 3], [0.5, 0.5]];
    }

    [Fact]
    public void Score_KnownImages_CountsAgreementAttributesAndBothChanceRates()
    {
        PromptContent[] prompts =
        [
            new(ClassIndex: 9, Brightness: Brightness.Dark), // ankle boot, dark: met in full
            new(ClassIndex: 9, Size: GarmentSize.Large),      // ankle boot, large: class met, size not
            new(ClassIndex: 1),                               // trouser: classifier says 9
            new(Brightness: Brightness.Bright),               // no class named
        ];
        MeasuredImage[] images =
        [
            new(9, DarkSmallWidePlain),
            new(9, DarkSmallWidePlain),
            new(9, BrightLargeTallTextured),
            new(1, BrightLargeTallTextured),
        ];

        PromptScores scores = PromptScoring.Score(prompts, images, TestDistribution(), classes: 10);

        Assert.Equal(4, scores.Images);
        Assert.Equal(3, scores.ClassNamed);
        Assert.Equal(2.0 / 3, scores.Agreement!.Value, 12);
        Assert.Equal(0.5, scores.AllMet, 12); // prompts 0 and 3
        SlotScore cls = scores.Slots.Single(s => s.Slot == PromptSlot.Class);
        // The one prompt without a class got an image of class 1: among the naming prompts (9, 9, 1) one asks for 1.
        Assert.Equal(1.0 / 3, cls.ChanceGenerated!.Value, 12);
        Assert.Equal((0.3 + 0.3 + 0.1) / 3, cls.ChanceTestSet!.Value, 12);
        SlotScore brightness = scores.Slots.Single(s => s.Slot == PromptSlot.Brightness);
        Assert.Equal(2, brightness.Named);
        Assert.Equal(2, brightness.Met);
        Assert.Equal(1.0, brightness.Accuracy!.Value, 12);
        // Images of prompts 1 and 2 (no brightness named): one dark, one bright; prompts ask dark and bright.
        Assert.Equal(0.5, brightness.ChanceGenerated!.Value, 12);
        Assert.Equal(0.5, brightness.ChanceTestSet!.Value, 12);
        SlotScore size = scores.Slots.Single(s => s.Slot == PromptSlot.Size);
        Assert.Equal(1, size.Named);
        Assert.Equal(0, size.Met);
        Assert.Equal(0.0, size.Accuracy!.Value, 12);
        Assert.Equal(2.0 / 3, size.ChanceGenerated!.Value, 12); // small, large, large: the three other images
        SlotScore texture = scores.Slots.Single(s => s.Slot == PromptSlot.Texture);
        Assert.Equal(0, texture.Named);
        Assert.Null(texture.Accuracy);
        Assert.Null(texture.ChanceGenerated);
        Assert.Null(texture.ChanceTestSet);
    }

    [Fact]
    public void Score_EveryPromptNamesTheSlot_HasNoGeneratedChanceRate()
    {
        PromptScores scores = PromptScoring.Score([new(ClassIndex: 0), new(ClassIndex: 1)], [new(0, DarkSmallWidePlain), new(0, DarkSmallWidePlain)], TestDistribution(), 10);

        Assert.Equal(0.5, scores.Agreement!.Value, 12);
        Assert.Null(scores.Slots[0].ChanceGenerated);
        Assert.Equal((0.6 + 0.1) / 2, scores.Slots[0].ChanceTestSet!.Value, 12);
    }

    [Fact]
    public void Score_MeasuredPixels_ReadTheAttributesOfAHandMadeImage()
    {
        // A 28×28 model output: background −1, a bright 20-wide, 8-tall flat block (wide, small, plain, bright).
        var pixels = new float[28 * 28];
        Array.Fill(pixels, -1f);
        for (int y = 10; y < 18; y++)
        {
            for (int x = 4; x < 24; x++)
            {
                pixels[(y * 28) + x] = 0.9f;
            }
        }
        AttributeBuckets buckets = AttributeThresholds.FashionMnist.Classify(ImageAttributes.MeasureModelOutput(pixels, 28, 28));
        var prompt = new PromptContent(Brightness: Brightness.Bright, Size: GarmentSize.Small, Aspect: Aspect.Wide, Texture: Texture.Plain);
        var wrong = new PromptContent(Aspect: Aspect.Tall);

        PromptScores scores = PromptScoring.Score([prompt, wrong], [new(8, buckets), new(8, buckets)], TestDistribution(), 10);

        Assert.Equal(new AttributeBuckets(Brightness.Bright, GarmentSize.Small, Aspect.Wide, Texture.Plain), buckets);
        Assert.Equal(0.5, scores.AllMet, 12);
        Assert.Equal(0.5, scores.Slots.Single(s => s.Slot == PromptSlot.Aspect).Accuracy!.Value, 12);
        Assert.Null(scores.Agreement); // no prompt names a class
    }

    [Fact]
    public void Score_DifferentCounts_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => PromptScoring.Score([new(ClassIndex: 0)], [], TestDistribution(), 10));
        Assert.Contains("1 prompts for 0 images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Distribution_CountsEachSlotsShares()
    {
        double[][] shares = PromptScoring.Distribution([new(9, DarkSmallWidePlain), new(9, DarkSmallWidePlain), new(1, BrightLargeTallTextured), new(0, BrightLargeTallTextured)], 10);

        Assert.Equal(0.5, shares[(int)PromptSlot.Class][9], 12);
        Assert.Equal(0.25, shares[(int)PromptSlot.Class][1], 12);
        Assert.Equal(0.5, shares[(int)PromptSlot.Size][(int)GarmentSize.Small], 12);
        Assert.Equal(0.5, shares[(int)PromptSlot.Texture][(int)Texture.Textured], 12);
        Assert.All(shares, s => Assert.Equal(1.0, s.Sum(), 12));
    }
}
