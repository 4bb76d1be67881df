using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Engine.Exits;
using AdaDiff.Engine.Scheduling;
using AdaDiff.Engine.Text;

namespace AdaDiff.Engine.Tests;

/// <summary>A text model's requests: token ids per row through <see cref="DenoiseBatch"/>, conditions checked against the manifest.</summary>
public class TextRequestTests
{
    private static readonly PromptTokenizer Tokenizer = new(PromptVocabulary.Create(["a", "boot", "dark", "small"], maxTokens: 6));

    private static readonly ModelManifest TextManifest = UViTConfig.TinyText(TextConditioning.For(Tokenizer.Vocabulary, encoderDim: 16, encoderDepth: 1, encoderHeads: 2));

    private static GenerationRequest Prompted(string prompt, float guidance = 2f) => new()
    {
        NumImages = 2,
        Seed = 1,
        Sampler = SamplerKind.Ddim,
        Steps = 10,
        Prompt = prompt,
        PromptTokens = Tokenizer.Encode(prompt).Ids,
        GuidanceScale = guidance,
        Exit = ExitPolicySettings.Full,
    };

    [Fact]
    public void AddImage_TokenIds_EachRowCarriesItsCondition_TheGuidanceRowThePromptOfPaddingOnly()
    {
        var batch = new DenoiseBatch(imageSize: 4, maxRows: 4, conditionWidth: 6);
        int[] ids = Tokenizer.Encode("a dark boot").Ids; // [BOS] a dark boot [EOS] [PAD]
        batch.AddGroup(FullDepthExitPolicy.Instance, 0, CancellationToken.None);

        batch.AddImage(new float[4], 10f, ids, new int[6]);
        batch.AddImage(new float[4], 10f, ids, ReadOnlySpan<int>.Empty);

        Assert.Equal(3, batch.Rows);
        Assert.Equal(2, batch.ImageRows(0));
        Assert.Equal(1, batch.ImageRows(1));
        Assert.Equal([.. ids, 0, 0, 0, 0, 0, 0, .. ids], batch.Conditions.ToArray());
        Assert.Throws<InvalidOperationException>(() => batch.ClassLabels.Length);
    }

    [Fact]
    public void AddImage_WrongWidthOrClassLabelIntoTokenBatch_Throws()
    {
        var batch = new DenoiseBatch(imageSize: 4, maxRows: 4, conditionWidth: 6);
        batch.AddGroup(FullDepthExitPolicy.Instance, 0, CancellationToken.None);

        Assert.Throws<ArgumentException>(() => batch.AddImage(new float[4], 1f, new int[5], ReadOnlySpan<int>.Empty));
        Assert.Throws<ArgumentException>(() => batch.AddImage(new float[4], 1f, new int[6], new int[1]));
        Assert.Throws<InvalidOperationException>(() => batch.AddImage(new float[4], 1f, 3, null));
        Assert.Equal(0, batch.Rows);
    }

    [Fact]
    public void AddImage_ClassLabels_SameRowsAsBefore()
    {
        var batch = new DenoiseBatch(imageSize: 4, maxRows: 4);
        batch.AddGroup(FullDepthExitPolicy.Instance, 0, CancellationToken.None);

        batch.AddImage(new float[4], 1f, 7, 10);
        batch.AddImage(new float[4], 1f, 2, null);

        Assert.Equal([7, 10, 2], batch.ClassLabels.ToArray());
        Assert.Equal(batch.ClassLabels.ToArray(), batch.Conditions.ToArray());
    }

    [Fact]
    public void UsesGuidance_Prompt_CountsAsACondition()
    {
        Assert.True(Prompted("a boot").UsesGuidance);
        Assert.Equal(4, Prompted("a boot").RowsPerStep);
        Assert.False(Prompted("a boot", guidance: 1f).UsesGuidance);
        Assert.False((Prompted("a boot") with { Prompt = null, PromptTokens = null }).UsesGuidance);
    }

    [Fact]
    public void Check_TextModel_PromptAccepted_OtherConditionsNamed()
    {
        Assert.Null(GenerationRequestValidator.Check(Prompted("a small boot"), TextManifest, 8));
        Assert.Null(GenerationRequestValidator.Check(Prompted("a boot") with { Prompt = null, PromptTokens = null }, TextManifest, 8));
        Assert.Equal("ClassLabel", GenerationRequestValidator.Check(Prompted("a boot") with { ClassLabel = 1 }, TextManifest, 8)?.Field);
        Assert.Equal("PromptTokens", GenerationRequestValidator.Check(Prompted("a boot") with { PromptTokens = [2, 3] }, TextManifest, 8)?.Field);
        Assert.Equal("PromptTokens", GenerationRequestValidator.Check(Prompted("a boot") with { PromptTokens = [2, 99, 3, 0, 0, 0] }, TextManifest, 8)?.Field);
        Assert.Equal("PromptTokens", GenerationRequestValidator.Check(Prompted("a boot") with { Prompt = null, PromptTokens = null },
            TextManifest with { SupportsUnconditional = false }, 8)?.Field);
    }

    [Fact]
    public void Check_ClassModel_Prompt_NamesPromptTokens()
    {
        RequestViolation? violation = GenerationRequestValidator.Check(Prompted("a boot"), ComputeLedgerTests.Manifest(), 8);

        Assert.Equal("PromptTokens", violation?.Field);
        Assert.Contains("class label", violation!.Message, StringComparison.Ordinal);
    }
}
