using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine;
using AdaDiff.Engine.Text;

namespace AdaDiff.Tools.Tests;

/// <summary><c>adadiff-tools init-model --text</c> as a user runs it: a text-conditioned package that both loads and runs prompts.</summary>
public sealed class InitModelCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string root = Directory.CreateTempSubdirectory("adadiff-init-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task InitModel_Text_PackageWithVocabularyUnder16MbThatRunsPrompts()
    {
        string package = Path.Combine(root, "text");

        ToolsResult result = await ToolsProcess.RunAsync(root, Timeout, "init-model", "--text", "--out", package, "--seed", "4");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var vocabulary = PromptVocabulary.Load(Path.Combine(package, PromptVocabulary.FileName));
        using TorchSharpBackend backend = TorchSharpBackend.Load(package, new TorchSharpBackendOptions { Threads = 1 });
        ModelManifest m = backend.Manifest;
        Assert.Equal("text", m.Name);
        Assert.Equal(ConditioningKind.Text, m.Conditioning);
        Assert.Equal(vocabulary.Sha256, m.Text!.VocabularySha256);
        Assert.Equal(vocabulary.Count, m.Text.VocabularySize);
        Assert.Equal(20, m.Text.MaxTokens);
        Assert.Equal(0, m.NumClasses);
        Assert.InRange(new FileInfo(Path.Combine(package, m.Weights.File)).Length, 1, 16_000_000);

        int[] ids = [.. new PromptTokenizer(vocabulary).Encode("a small dark ankle boot").Ids, .. new int[m.ConditionWidth]];
        var eps = new float[2 * m.ImageSize];
        backend.PredictAtDepth(new float[2 * m.ImageSize], [500, 500], ids, m.Depth, eps);
        Assert.All(eps, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public async Task InitModel_TextTooLarge_RefusedNamingTheLimit()
    {
        ToolsResult result = await ToolsProcess.RunAsync(root, Timeout, "init-model", "--text", "--out", Path.Combine(root, "big"), "--dim", "256");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("at most 16 MB", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(root, "big")));
    }
}
