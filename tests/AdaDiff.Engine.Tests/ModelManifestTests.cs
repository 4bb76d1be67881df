using System.Text.Json.Nodes;

namespace AdaDiff.Engine.Tests;

public sealed class ModelManifestTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("adadiff-manifest-").FullName;

    /// <summary>A valid class-conditional manifest trained with label dropout (3 classes, supportsUnconditional).</summary>
    private static ModelManifest Valid() => ComputeLedgerTests.Manifest();

    [Fact]
    public void Validate_NoGuidanceScaleGiven_DefaultsToOneAndPasses()
    {
        ModelManifest manifest = Valid();

        manifest.Validate("test");

        Assert.Equal(1f, manifest.DefaultGuidanceScale);
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(3f)]
    [InlineData(20f)]
    public void Validate_GuidanceScaleInRangeWithLabelDropout_Passes(float scale)
    {
        (Valid() with { DefaultGuidanceScale = scale }).Validate("test");
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(0f)]
    [InlineData(0.99f)]
    [InlineData(-3f)]
    [InlineData(20.01f)]
    public void Validate_GuidanceScaleNotFiniteOrOutside1To20_ThrowsNamingIt(float scale)
    {
        var e = Assert.Throws<InvalidDataException>(() => (Valid() with { DefaultGuidanceScale = scale }).Validate("test"));

        Assert.Contains("defaultGuidanceScale must be a finite number in 1..20", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_GuidanceScaleWithoutLabelDropout_ThrowsSayingWhy()
    {
        ModelManifest noNullClass = Valid() with { SupportsUnconditional = false, DefaultGuidanceScale = 3f };

        var e = Assert.Throws<InvalidDataException>(() => noNullClass.Validate("test"));

        Assert.Contains("defaultGuidanceScale 3 needs a class-conditional model trained with label dropout", e.Message, StringComparison.Ordinal);
        (noNullClass with { DefaultGuidanceScale = 1f }).Validate("test"); // no guidance is fine without the null class
    }

    [Fact]
    public void Validate_GuidanceScaleWithoutClasses_ThrowsSayingWhy()
    {
        ModelManifest unconditional = Valid() with { NumClasses = 0, SupportsUnconditional = true, DefaultGuidanceScale = 2f };

        var e = Assert.Throws<InvalidDataException>(() => unconditional.Validate("test"));

        Assert.Contains("needs a class-conditional model", e.Message, StringComparison.Ordinal);
        (unconditional with { DefaultGuidanceScale = 1f }).Validate("test");
    }

    [Fact]
    public void SaveLoad_GuidanceScale_RoundTripsAsDefaultGuidanceScale()
    {
        string path = Path.Combine(dir, "model.json");
        (Valid() with { DefaultGuidanceScale = 3f }).Save(path);

        JsonNode json = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(3f, json["defaultGuidanceScale"]!.GetValue<float>());
        Assert.Equal(3f, ModelManifest.Load(path).DefaultGuidanceScale);
    }

    [Fact]
    public void Load_WithoutGuidanceScale_DefaultsToOne()
    {
        string path = Path.Combine(dir, "model.json");
        Valid().Save(path);
        JsonObject json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.True(json.Remove("defaultGuidanceScale"));
        File.WriteAllText(path, json.ToJsonString());

        Assert.Equal(1f, ModelManifest.Load(path).DefaultGuidanceScale);
    }

    [Fact]
    public void Load_GuidanceScaleOnModelWithoutLabelDropout_ThrowsNamingFile()
    {
        string path = Path.Combine(dir, "model.json");
        Valid().Save(path);
        JsonObject json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json["supportsUnconditional"] = false;
        json["defaultGuidanceScale"] = 3;
        File.WriteAllText(path, json.ToJsonString());

        var e = Assert.Throws<InvalidDataException>(() => ModelManifest.Load(path));

        Assert.StartsWith($"{path}: invalid model manifest: defaultGuidanceScale 3", e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);
}
