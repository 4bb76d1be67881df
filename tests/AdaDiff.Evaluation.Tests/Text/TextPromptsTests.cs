using AdaDiff.Captions;
using AdaDiff.Engine;
using AdaDiff.Engine.Text;
using AdaDiff.Evaluation.Text;

namespace AdaDiff.Evaluation.Tests.Text;

public sealed class TextPromptsTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("adadiff-text-prompts-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private TextPrompts Prompts()
    {
        string dir = Path.Combine(root, "text");
        ModelManifest manifest = TextPackages.Write(dir);
        return TextPrompts.ForPackage(dir, manifest);
    }

    // 40 "images" of cycling labels and buckets, enough to draw from.
    private static (byte[] Labels, AttributeBuckets[] Buckets) Split()
    {
        byte[] labels = [.. Enumerable.Range(0, 40).Select(i => (byte)(i % 10))];
        AttributeBuckets[] buckets = [.. Enumerable.Range(0, 40).Select(i => new AttributeBuckets((Brightness)(i % 3), (GarmentSize)(i / 3 % 3), (Aspect)(i / 9 % 3), (Texture)(i % 2)))];
        return (labels, buckets);
    }

    [Fact]
    public void Draw_SameSeed_SamePromptsOfDistinctImagesThatReadBackToTheirCaptions()
    {
        TextPrompts prompts = Prompts();
        (byte[] labels, AttributeBuckets[] buckets) = Split();

        List<EvalPrompt> a = prompts.Draw(20, 3, labels, buckets);
        List<EvalPrompt> b = prompts.Draw(20, 3, labels, buckets);
        List<EvalPrompt> other = prompts.Draw(20, 4, labels, buckets);

        Assert.Equal(a.Select(p => p.Text), b.Select(p => p.Text));
        Assert.NotEqual(a.Select(p => p.TestImage), other.Select(p => p.TestImage));
        Assert.Equal(20, a.Select(p => p.TestImage).Distinct().Count());
        var parser = new PromptParser(prompts.Captions.Classes);
        var tokenizer = new PromptTokenizer(prompts.Vocabulary);
        foreach (EvalPrompt p in a)
        {
            int image = p.TestImage!.Value;
            Assert.Equal(prompts.Captions.Generate(labels[image], buckets[image], 3, image).Text, p.Text);
            Assert.Equal(p.Content, parser.Parse(p.Text).Content);
            Assert.Equal(tokenizer.Encode(p.Text).Ids, p.Tokens);
            Assert.True(p.Content.IsMetBy(labels[image], buckets[image])); // a caption is true of its image
        }
    }

    [Fact]
    public void Draw_MoreThanTheSplit_Throws()
    {
        (byte[] labels, AttributeBuckets[] buckets) = Split();
        var e = Assert.Throws<ArgumentException>(() => Prompts().Draw(41, 0, labels, buckets));
        Assert.Contains("40 images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HandWritten_DefaultGridPrompts_AllReadAndNameSomething()
    {
        TextPrompts prompts = Prompts();
        foreach (string text in TextPrompts.DefaultGridPrompts)
        {
            EvalPrompt p = prompts.HandWritten(text);
            Assert.False(p.Content.IsEmpty, text);
            Assert.Null(p.TestImage);
        }
        Assert.Equal(new PromptContent(ClassIndex: 9, Brightness: Brightness.Dark, Size: GarmentSize.Small), prompts.HandWritten("a small dark ankle boot").Content);
    }

    [Theory]
    [InlineData("a striped shirt", "'striped'")]
    [InlineData("a small dark boot of leather", "'leather'")]
    [InlineData("a small large coat", "size: 'small' and 'large'")]
    [InlineData("a coat\u0007", "control character")]
    public void HandWritten_BadPrompt_NamesTheProblem(string text, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => Prompts().HandWritten(text));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("--grid-prompts", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForPackage_ClassModel_PointsToTheClassEvaluation()
    {
        string dir = Path.Combine(root, "class");
        EndToEndTests.WriteTinyPackage(dir);
        ModelManifest manifest = ModelManifest.Load(Path.Combine(dir, "model.json"));

        var e = Assert.Throws<InvalidDataException>(() => TextPrompts.ForPackage(dir, manifest));
        Assert.Contains("class-conditional", e.Message, StringComparison.Ordinal);
        Assert.Contains("adadiff-tools eval --model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForPackage_VocabularyOfAnotherModel_Throws()
    {
        string dir = Path.Combine(root, "text");
        ModelManifest manifest = TextPackages.Write(dir);
        PromptVocabulary.Create(["a", "boot"], maxTokens: 20).Save(Path.Combine(dir, PromptVocabulary.FileName));

        var e = Assert.Throws<InvalidDataException>(() => TextPrompts.ForPackage(dir, manifest));
        Assert.Contains("model.json says sha256", e.Message, StringComparison.Ordinal);
    }
}
