using AdaDiff.Captions;
using AdaDiff.Engine.Text;

namespace AdaDiff.Captions.Tests;

public class PromptParserTests
{
    private static readonly PromptParser Parser = new(Captions.Generator.Classes);

    [Fact]
    public void Parse_EveryCaptionOfEveryTemplate_ReadsBackItsContent()
    {
        int count = 0;
        foreach (Caption caption in Captions.Every())
        {
            ParsedPrompt parsed = Parser.Parse(caption.Text);
            Assert.True(parsed.IsClean, $"'{caption.Text}': unrecognized [{string.Join(", ", parsed.Unrecognized)}], conflicts [{string.Join(", ", parsed.Conflicts)}]");
            Assert.True(caption.Content == parsed.Content, $"'{caption.Text}' ({caption.Template}) wrote {caption.Content} but reads as {parsed.Content}");
            count++;
        }
        // Attribute subsets by count named: 1, 11, 45, 81, 54 ((1 + 3x)³(1 + 2x)). With a class (12 phrases: "t-shirt/top",
        // "t-shirt", "top" and one per other class) four adjective templates, plus "that is" in k! orders when k ≥ 1:
        // 12 × (4 + 11·5 + 45·6 + 81·10 + 54·28) = 31,812. Without: "garment" plus two list templates: 11·3 + 45·5 + 81·13 + 54·49 = 3,957.
        Assert.Equal(31_812 + 3_957, count);
    }

    [Theory]
    [InlineData("a small dark ankle boot", 9, "dark", "small", null, null)]
    [InlineData("something bright and wide", null, "bright", null, "wide", null)]
    [InlineData("a photo of a tall dress", 3, null, null, "tall", null)]
    [InlineData("A Small, DARK Ankle-Boot", null, "dark", "small", null, null)] // "ankle - boot" is not the phrase "ankle boot"
    [InlineData("ＴＩＮＹ T-Shirt", 0, null, null, null, null)] // full-width letters fold; "tiny" is not a caption word
    [InlineData("a shirt", 6, null, null, null, null)]
    [InlineData("a t-shirt", 0, null, null, null, null)]
    [InlineData("T-shirt/top", 0, null, null, null, null)]
    [InlineData("top", 0, null, null, null, null)]
    [InlineData("a plain square coat, grey and medium", 4, "grey", "medium", "square", "plain")]
    public void Parse_Prompts_ClassAndAttributes(string prompt, int? classIndex, string? brightness, string? size, string? aspect, string? texture)
    {
        PromptContent content = Parser.Parse(prompt).Content;

        Assert.Equal(classIndex, content.ClassIndex);
        Assert.Equal(brightness, content.Brightness is { } b ? AttributeWords.Of(b) : null);
        Assert.Equal(size, content.Size is { } s ? AttributeWords.Of(s) : null);
        Assert.Equal(aspect, content.Aspect is { } a ? AttributeWords.Of(a) : null);
        Assert.Equal(texture, content.Texture is { } t ? AttributeWords.Of(t) : null);
    }

    [Fact]
    public void Parse_UnknownWords_AreReported()
    {
        ParsedPrompt parsed = Parser.Parse("a tiny dark boot!");

        Assert.Equal(["tiny", "boot", "!"], parsed.Unrecognized);
        Assert.Equal(Brightness.Dark, parsed.Content.Brightness);
        Assert.Null(parsed.Content.ClassIndex);
        Assert.False(parsed.IsClean);
    }

    [Fact]
    public void Parse_TwoValuesForOneSlot_ConflictKeepsTheFirst()
    {
        ParsedPrompt parsed = Parser.Parse("a small large coat or a dress");

        Assert.Equal(GarmentSize.Small, parsed.Content.Size);
        Assert.Equal(4, parsed.Content.ClassIndex);
        Assert.Equal(["size: 'small' and 'large'", "class: 'coat' and 'dress'"], parsed.Conflicts);
        Assert.Equal(["or"], parsed.Unrecognized);
    }

    [Fact]
    public void Parse_SameValueTwice_IsNoConflict()
    {
        ParsedPrompt parsed = Parser.Parse("a t-shirt/top, dark and dark");

        Assert.True(parsed.IsClean);
        Assert.Equal(new PromptContent(ClassIndex: 0, Brightness: Brightness.Dark), parsed.Content);
    }

    [Fact]
    public void IsMetBy_ScoresAGeneratedImageAgainstItsPrompt()
    {
        PromptContent wanted = Parser.Parse("a small dark ankle boot").Content;
        var measured = new AttributeBuckets(Brightness.Dark, GarmentSize.Small, Aspect.Wide, Texture.Plain);

        Assert.True(wanted.IsMetBy(9, measured));
        Assert.False(wanted.IsMetBy(7, measured)); // a sneaker
        Assert.False(wanted.IsMetBy(9, measured with { Size = GarmentSize.Large }));
        Assert.True(Parser.Parse("something wide").Content.IsMetBy(null, measured));
    }

    [Fact]
    public void Parse_WordsAsTheTokenizerSplitsThem()
    {
        string prompt = "A photo of: a T-SHIRT/top";

        Assert.Equal(PromptNormalizer.Split(prompt), ["a", "photo", "of", ":", "a", "t", "-", "shirt", "/", "top"]);
        Assert.Equal([":"], Parser.Parse(prompt).Unrecognized);
    }
}
