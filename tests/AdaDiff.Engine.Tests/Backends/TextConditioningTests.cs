using System.Text.Json.Nodes;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Text;

namespace AdaDiff.Engine.Tests.Backends;

/// <summary>The manifest of a text model and the seam's check of its conditions (prompt token ids, MaxTokens a row).</summary>
public sealed class TextConditioningTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("adadiff-text-manifest-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static PromptVocabulary Vocabulary { get; } = PromptVocabulary.Create(["a", "ankle", "boot", "dark", "small"], maxTokens: 6);

    private static ModelManifest Text() => ComputeLedgerTests.Manifest() with
    {
        NumClasses = 0,
        Conditioning = ConditioningKind.Text,
        Text = TextConditioning.For(Vocabulary),
    };

    [Fact]
    public void Validate_TextModel_PassesWithMaxTokensConditionTokens()
    {
        ModelManifest m = Text();

        m.Validate("test");

        Assert.Equal(6, m.ConditionWidth);
        Assert.Equal(6, UViTTopology.Of(m).ConditionTokens);
        Assert.Equal(1 + 6 + 16, UViTTopology.Of(m).Tokens);
    }

    [Fact]
    public void Validate_TextModelWithGuidanceScale_PassesAsTheEmptyPromptIsItsUnconditionalRow()
    {
        (Text() with { DefaultGuidanceScale = 3f }).Validate("test");
    }

    [Theory]
    [InlineData("no text", "needs \"text\"")]
    [InlineData("classes", "numClasses must be 0")]
    [InlineData("text on a class model", "for a text model (conditioning \"text\") only")]
    [InlineData("max tokens", "text.maxTokens must be in 3..256")]
    [InlineData("vocabulary", "text.vocabularySize must exceed the 4 special tokens")]
    [InlineData("hash", "text.vocabularySha256 must be 64 lower-case hex digits")]
    [InlineData("heads", "text.encoderDim (64) must be a positive multiple of text.encoderHeads (3)")]
    public void Validate_BadTextManifest_ThrowsNamingTheField(string scenario, string message)
    {
        ModelManifest m = Text();
        m = scenario switch
        {
            "no text" => m with { Text = null },
            "classes" => m with { NumClasses = 3 },
            "text on a class model" => m with { Conditioning = ConditioningKind.Class },
            "max tokens" => m with { Text = m.Text! with { MaxTokens = 2 } },
            "vocabulary" => m with { Text = m.Text! with { VocabularySize = 4 } },
            "hash" => m with { Text = m.Text! with { VocabularySha256 = Vocabulary.Sha256.ToUpperInvariant() } },
            "heads" => m with { Text = m.Text! with { EncoderHeads = 3 } },
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };

        var e = Assert.Throws<InvalidDataException>(() => m.Validate("test"));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveLoad_TextModel_RoundTripsConditioningAndText()
    {
        string path = Path.Combine(dir, "model.json");
        Text().Save(path);
        JsonNode json = JsonNode.Parse(File.ReadAllText(path))!;

        Assert.Equal("text", json["conditioning"]!.GetValue<string>());
        Assert.Equal(6, json["text"]!["maxTokens"]!.GetValue<int>());
        ModelManifest loaded = ModelManifest.Load(path);
        Assert.Equal(ConditioningKind.Text, loaded.Conditioning);
        Assert.Equal(Text().Text, loaded.Text);
        Assert.True(loaded.SameArchitecture(Text()));
        Assert.False(loaded.SameArchitecture(ComputeLedgerTests.Manifest()));
    }

    [Fact]
    public void SaveLoad_ClassModel_WritesNoConditioningAndReadsAsClass()
    {
        string path = Path.Combine(dir, "model.json");
        ComputeLedgerTests.Manifest().Save(path);
        JsonObject json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();

        Assert.False(json.ContainsKey("conditioning"));
        Assert.False(json.ContainsKey("text"));
        ModelManifest loaded = ModelManifest.Load(path);
        Assert.Equal(ConditioningKind.Class, loaded.Conditioning);
        Assert.Equal(1, loaded.ConditionWidth);
    }

    [Fact]
    public void BatchInput_TextRows_MaxTokensIdsEach()
    {
        ModelManifest m = Text();
        int[] ids = [.. new PromptTokenizer(Vocabulary).Encode("a small dark ankle boot").Ids, .. new int[6]]; // a prompt, then the empty one

        Assert.Equal(2, BatchInput.Validate(m, new float[2 * m.ImageSize], [1, 2], ids));
    }

    [Theory]
    [InlineData(new[] { 2, 3 }, "prompt tokens: 2 values, expected 2 rows × 6")]
    [InlineData(new[] { 2, 5, 3, 0, 0, 0, 2, 9, 3, 0, 0, 0 }, "token ids must be in 0..8 (0 = padding; a row of padding only is unconditional)")]
    [InlineData(new[] { 2, 5, 3, 0, 0, 0, 2, 5, 3, 0, 0, -1 }, "token ids must be in 0..8")]
    public void BatchInput_BadTextRows_ThrowsNamingConditions(int[] ids, string message)
    {
        ModelManifest m = Text();

        var e = Assert.ThrowsAny<ArgumentException>(() => BatchInput.Validate(m, new float[2 * m.ImageSize], [1, 2], ids));
        Assert.Equal("conditions", e.ParamName);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchInput_ClassRows_OneLabelEachAsBefore()
    {
        ModelManifest m = ComputeLedgerTests.Manifest();

        var e = Assert.Throws<ArgumentException>(() => BatchInput.Validate(m, new float[2 * m.ImageSize], [1, 2], [1]));
        Assert.Equal("conditions", e.ParamName);
        Assert.Contains("class labels: 1 values, expected 2 (one a row)", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, BatchInput.Validate(m, new float[2 * m.ImageSize], [1, 2], [0, m.NullClass]));
    }
}
