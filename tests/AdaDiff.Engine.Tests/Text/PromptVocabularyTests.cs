using System.Text.Json.Nodes;
using AdaDiff.Engine.Text;

namespace AdaDiff.Engine.Tests.Text;

public sealed class PromptVocabularyTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("prompt-vocab-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static PromptVocabulary Small() => PromptVocabulary.Create(["dark", "boot", "a", "ankle", "-", "dark"], maxTokens: 8);

    [Fact]
    public void Create_SpecialsFirstThenDistinctWordsInOrdinalOrder()
    {
        PromptVocabulary v = Small();

        Assert.Equal(["[PAD]", "[UNK]", "[BOS]", "[EOS]", "-", "a", "ankle", "boot", "dark"], v.Tokens);
        Assert.Equal(9, v.Count);
        Assert.True(v.TryGetId("boot", out int boot));
        Assert.Equal(7, boot);
        Assert.False(v.TryGetId("Boot", out _));
        Assert.Equal(PromptVocabulary.PadId, v.Tokens.ToList().IndexOf(PromptVocabulary.PadToken));
        Assert.Equal(PromptVocabulary.EndId, v.Tokens.ToList().IndexOf(PromptVocabulary.EndToken));
    }

    [Fact]
    public void Create_GatheredInAnotherOrder_SameIdsAndHash()
    {
        PromptVocabulary other = PromptVocabulary.Create(["ankle", "-", "a", "boot", "dark"], maxTokens: 8);

        Assert.Equal(Small().Tokens, other.Tokens);
        Assert.Equal(Small().Sha256, other.Sha256);
    }

    [Theory]
    [InlineData("Boot")]
    [InlineData("ankle boot")]
    [InlineData("t-shirt")]
    [InlineData("")]
    [InlineData("[UNK]")]
    public void Create_WordAPromptCouldNeverProduce_Throws(string word) =>
        Assert.Throws<ArgumentException>(() => PromptVocabulary.Create(["boot", word], maxTokens: 8));

    [Fact]
    public void Create_MaxTokensOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PromptVocabulary.Create(["boot"], maxTokens: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => PromptVocabulary.Create(["boot"], maxTokens: 257));
    }

    [Fact]
    public void Sha256_DependsOnTokensAndMaxTokens()
    {
        Assert.NotEqual(Small().Sha256, PromptVocabulary.Create(["dark", "boot", "a", "ankle", "-"], maxTokens: 9).Sha256);
        Assert.NotEqual(Small().Sha256, PromptVocabulary.Create(["dark", "boot", "a", "ankle", "-", "coat"], maxTokens: 8).Sha256);
        Assert.Matches("^[0-9a-f]{64}$", Small().Sha256);
    }

    [Fact]
    public void SaveLoad_RoundTrip()
    {
        string path = Path.Combine(dir, PromptVocabulary.FileName);
        Small().Save(path);

        PromptVocabulary loaded = PromptVocabulary.Load(path);

        Assert.Equal(Small().Tokens, loaded.Tokens);
        Assert.Equal(8, loaded.MaxTokens);
        Assert.Equal(Small().Sha256, loaded.Sha256);
        Assert.False(File.Exists(path + ".tmp"));
        JsonNode json = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal("adadiff-prompt-vocabulary", (string?)json["format"]);
        Assert.Equal(1, (int?)json["version"]);
        Assert.Equal("nfkc-lower-split-punctuation", (string?)json["normalization"]);
        Assert.Equal(Small().Sha256, (string?)json["sha256"]);
    }

    [Fact]
    public void Parse_ReformattedFile_StillLoads()
    {
        string compact = JsonNode.Parse(Small().ToJson())!.ToJsonString();

        Assert.Equal(Small().Sha256, PromptVocabulary.Parse(compact, "compact.json").Sha256);
    }

    [Fact]
    public void Load_Missing_NamesTheFile()
    {
        string path = Path.Combine(dir, "nope.json");

        var e = Assert.Throws<FileNotFoundException>(() => PromptVocabulary.Load(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("version", "2", "version 2 is not supported (this code reads version 1)")]
    [InlineData("format", "\"bpe\"", "format is 'bpe', expected 'adadiff-prompt-vocabulary'")]
    [InlineData("normalization", "\"nfc\"", "normalization 'nfc' is not supported")]
    [InlineData("maxTokens", "2", "maxTokens 2 is outside 3..256")]
    [InlineData("sha256", "\"00\"", "sha256 00 does not match its tokens")]
    public void Parse_BadField_NamesIt(string field, string value, string message)
    {
        JsonNode json = JsonNode.Parse(Small().ToJson())!;
        json[field] = JsonNode.Parse(value);

        var e = Assert.Throws<InvalidDataException>(() => PromptVocabulary.Parse(json.ToJsonString(), "v.json"));
        Assert.StartsWith("v.json: invalid prompt vocabulary: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TokensEditedByHand_HashRefusesThem()
    {
        JsonNode json = JsonNode.Parse(Small().ToJson())!;
        json["tokens"]!.AsArray().Insert(4, "coat"); // would shift every embedding row after it

        var e = Assert.Throws<InvalidDataException>(() => PromptVocabulary.Parse(json.ToJsonString(), "v.json"));
        Assert.Contains("the file was edited or is corrupt", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "\"[UNK]\"", "token 0 is '[UNK]', expected '[PAD]'")]
    [InlineData(5, "\"boot\"", "token 7 'boot' appears twice")]
    [InlineData(5, "\"Coat\"", "token 5: 'Coat' is not one normalised word")]
    [InlineData(5, "null", "token 5 is null")]
    public void Parse_BadTokens_NamesTheToken(int index, string value, string message)
    {
        JsonNode json = JsonNode.Parse(Small().ToJson())!;
        json["tokens"]![index] = JsonNode.Parse(value);

        var e = Assert.Throws<InvalidDataException>(() => PromptVocabulary.Parse(json.ToJsonString(), "v.json"));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NotJson_SaysSo()
    {
        var e = Assert.Throws<InvalidDataException>(() => PromptVocabulary.Parse("{ tokens: ", "v.json"));
        Assert.Contains("v.json: not a valid prompt vocabulary", e.Message, StringComparison.Ordinal);
    }
}
