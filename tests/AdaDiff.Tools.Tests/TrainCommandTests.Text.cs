using System.Text.Json;
using AdaDiff.Engine;
using AdaDiff.Engine.Text;
using AdaDiff.Packaging;

namespace AdaDiff.Tools.Tests;

/// <summary>
/// <c>adadiff-tools train --text</c> as a user runs it, on a tiny text U-ViT and the real Fashion-MNIST files: a stopped
/// and resumed run ends bit-identical to one that never stopped, the package is a text model with its vocabulary and
/// its training record, and bad inputs get clear errors.
/// </summary>
public sealed partial class TrainCommandTests
{
    /// <summary><see cref="Tiny"/> with a tiny text encoder: a text model.</summary>
    private static string[] TinyText(string run, params string[] extra) =>
        Tiny(run, ["--text", "--text-dim", "16", "--text-depth", "1", "--text-heads", "2", .. extra]);

    [Fact]
    public async Task TrainText_StoppedAndResumed_EndsBitIdentical_AndWritesATextPackage()
    {
        await AssertStopAndResumeIsBitIdentical(TinyText, 2, 2, "checkpoint/" + PromptVocabulary.FileName);

        string package = Path.Combine(root, "resumed", "package");
        ModelManifest manifest = ModelManifest.Load(Path.Combine(package, ModelPackage.ManifestFileName));
        Assert.Equal(ConditioningKind.Text, manifest.Conditioning);
        PromptVocabulary vocabulary = PromptVocabulary.Load(Path.Combine(package, PromptVocabulary.FileName));
        Assert.Equal(vocabulary.Sha256, manifest.Text!.VocabularySha256);
        Assert.Equal(16, manifest.Text.EncoderDim);
        Assert.Equal(3f, manifest.DefaultGuidanceScale); // trained with prompt dropout: guided by default
        Assert.DoesNotContain("UNTRAINED", manifest.Description, StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(package, manifest.Weights.File)).Length <= 16_000_000);
        using JsonDocument json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(package, ModelPackage.ManifestFileName)));
        JsonElement training = json.RootElement.GetProperty("training");
        Assert.Equal(4, training.GetProperty("steps").GetInt32());
        Assert.Equal(3, training.GetProperty("seed").GetInt32());
        Assert.Equal(0.1, training.GetProperty("promptDropout").GetDouble());
        Assert.Equal(vocabulary.Sha256, training.GetProperty("config").GetProperty("text").GetProperty("vocabularySha256").GetString());
        Assert.Equal("(seed << 32) | epoch", training.GetProperty("captions").GetProperty("seedPerEpoch").GetString());
        Assert.Contains(" --text ", training.GetProperty("command").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, training.GetProperty("segments").GetArrayLength());
        using JsonDocument state = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(root, "resumed", "checkpoint", "state.json")));
        Assert.True(state.RootElement.GetProperty("config").TryGetProperty("text", out _));

        // Without prompt dropout the all-padding prompt means nothing: no guidance by default.
        ToolsResult noDropout = await Tools(TinyText("nodropout", "--max-steps", "1", "--cfg-dropout", "0"));
        Assert.True(noDropout.ExitCode == 0, noDropout.Stderr);
        Assert.Equal(1f, ModelManifest.Load(Path.Combine(root, "nodropout", "package", ModelPackage.ManifestFileName)).DefaultGuidanceScale);

        // A text checkpoint resumed as a class model is refused, and left as it was.
        string[] asClass = TinyText("resumed", "--resume");
        asClass = [.. asClass.Where(a => a != "--text")];
        ToolsResult wrongKind = await Tools(asClass);
        Assert.Equal(2, wrongKind.ExitCode);
        Assert.Contains("resume it with --text", wrongKind.Stderr, StringComparison.Ordinal);
        Assert.Equal(Sha256(Path.Combine(root, "straight", "checkpoint/model.safetensors")), Sha256(Path.Combine(root, "resumed", "checkpoint/model.safetensors")));
    }

    [Fact]
    public async Task TrainText_BadInputs_ClearErrors()
    {
        ToolsResult dropout = await Tools(TinyText("dropout", "--cfg-dropout", "1.5"));
        Assert.Equal(2, dropout.ExitCode);
        Assert.Contains("--cfg-dropout must be in [0, 1); was 1.5", dropout.Stderr, StringComparison.Ordinal);

        ToolsResult large = await Tools(TinyText("large", "--dim", "512", "--depth", "13", "--heads", "8"));
        Assert.Equal(2, large.ExitCode);
        Assert.Contains("a model package may have at most 16 MB: lower --dim or --depth, --text-dim or --text-depth", large.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(root, "large", "checkpoint", "state.json")));
    }
}
