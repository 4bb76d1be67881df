using AdaDiff.Engine.Scheduling;

namespace AdaDiff.Engine.Tests;

public class GenerationRequestValidatorTests
{
    private static readonly GenerationRequest Valid = new()
    {
        NumImages = 4,
        Seed = 1,
        Sampler = SamplerKind.Ddim,
        Steps = 50,
        ClassLabel = 2,
        GuidanceScale = 2f,
        Exit = new ExitPolicySettings(ExitMode.Adaptive, 0.9f, 2, 0),
    };

    [Fact]
    public void Check_ValidRequest_Null()
    {
        Assert.Null(GenerationRequestValidator.Check(Valid, ComputeLedgerTests.Manifest(), 8));
    }

    [Theory]
    [InlineData("NumImages")]
    [InlineData("Rows")]
    [InlineData("Steps")]
    [InlineData("ClassLabel")]
    [InlineData("GuidanceScale")]
    [InlineData("Exit.MinLayers")]
    [InlineData("LatentEveryNSteps")]
    [InlineData("Unconditional")]
    public void Check_BadField_NamesIt(string what)
    {
        ModelManifest manifest = ComputeLedgerTests.Manifest();
        (GenerationRequest request, string field) = what switch
        {
            "NumImages" => (Valid with { NumImages = 0 }, "NumImages"),
            "Rows" => (Valid with { NumImages = 5 }, "NumImages"),
            "Steps" => (Valid with { Steps = 1001 }, "Steps"),
            "ClassLabel" => (Valid with { ClassLabel = 3 }, "ClassLabel"),
            "GuidanceScale" => (Valid with { GuidanceScale = float.NaN }, "GuidanceScale"),
            "Exit.MinLayers" => (Valid with { Exit = Valid.Exit with { MinLayers = 6 } }, "Exit.MinLayers"),
            "LatentEveryNSteps" => (Valid with { LatentEveryNSteps = -1 }, "LatentEveryNSteps"),
            _ => (Valid with { ClassLabel = null }, "ClassLabel"),
        };
        if (what == "Unconditional")
        {
            manifest = manifest with { SupportsUnconditional = false };
        }

        RequestViolation? violation = GenerationRequestValidator.Check(request, manifest, 8);

        Assert.Equal(field, violation?.Field);
    }

    [Fact]
    public void Check_GuidanceWithoutLabelDropout_RejectsGuidance()
    {
        ModelManifest manifest = ComputeLedgerTests.Manifest() with { SupportsUnconditional = false };
        Assert.Equal("GuidanceScale", GenerationRequestValidator.Check(Valid, manifest, 8)?.Field);
        Assert.Null(GenerationRequestValidator.Check(Valid with { GuidanceScale = 1f }, manifest, 8));
    }
}
