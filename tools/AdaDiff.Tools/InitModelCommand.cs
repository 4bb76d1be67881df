using System.CommandLine;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Captions;
using AdaDiff.Engine;
using AdaDiff.Engine.Text;
using AdaDiff.Tools.Shared;
using static TorchSharp.torch;

namespace AdaDiff.Tools;

/// <summary>
/// <c>init-model</c>: writes a model package with randomly initialised (UNTRAINED) weights: the class-conditional
/// Fashion-MNIST U-ViT, or with <c>--text</c> the text-conditioned one, whose package also carries the prompt
/// vocabulary of the Fashion-MNIST captions (<see cref="PromptVocabulary.FileName"/>), so training can start from it.
/// </summary>
internal static class InitModelCommand
{
    /// <param name="commandText">The command line as run, for the package's training record.</param>
    public static Command Create(string commandText)
    {
        var outDir = ToolsCommandLine.RequiredText("--out", "Package folder to write", "DIR");
        var name = ToolsCommandLine.Text("--name", "Model name (default: the folder's name)");
        var dim = ToolsCommandLine.Int("--dim", "Width D of the U-ViT", 128, min: 1);
        var depth = ToolsCommandLine.Int("--depth", "Layers (odd: in-blocks, a mid-block, out-blocks)", 13, min: 1);
        var heads = ToolsCommandLine.Int("--heads", "Attention heads", 4, min: 1);
        var seed = ToolsCommandLine.Int("--seed", "Seed of the initial weights", 0);
        var text = ToolsCommandLine.Flag("--text", "A text-conditioned model: prompts of the Fashion-MNIST captions' vocabulary through a small text encoder, instead of class labels");
        var textDim = ToolsCommandLine.Int("--text-dim", "Width of the text encoder (with --text)", 64, min: 1);
        var textDepth = ToolsCommandLine.Int("--text-depth", "Transformer blocks of the text encoder (with --text)", 2, min: 0);
        var textHeads = ToolsCommandLine.Int("--text-heads", "Attention heads of the text encoder (with --text)", 2, min: 1);
        var command = new Command("init-model", "Write a model package with randomly initialised (UNTRAINED) weights")
        {
            outDir, name, dim, depth, heads, seed, text, textDim, textDepth, textHeads,
        };
        command.SetAction(parse =>
        {
            TextOptions? textOptions = parse.GetValue(text)
                ? new TextOptions(parse.GetValue(textDim), parse.GetValue(textDepth), parse.GetValue(textHeads))
                : null;
            return Run(parse.GetRequiredValue(outDir), parse.GetValue(name), parse.GetValue(dim), parse.GetValue(depth), parse.GetValue(heads), parse.GetValue(seed), textOptions, commandText);
        });
        return command;
    }

    private static int Run(string outDir, string? name, int dim, int depth, int heads, int seed, TextOptions? text, string commandText)
    {
        PromptVocabulary? vocabulary = text is null ? null : CaptionVocabulary.Build(new CaptionGenerator(FashionMnistModel.ClassNames));
        ModelManifest config = text is null || vocabulary is null
            ? UViTConfig.FashionMnist(dim, depth, heads)
            : UViTConfig.FashionMnistText(TextConditioning.For(vocabulary, text.Dim, text.Depth, text.Heads), dim, depth, heads);
        manual_seed(seed);
        using var model = new UViT(config);
        long bytes = PackageWriter.WeightBytes(model);
        if (bytes > PackageWriter.MaxWeightBytes)
        {
            Console.Error.WriteLine($"init-model: {bytes / 1e6:F1} MB of float32 weights; a model package may have at most {PackageWriter.MaxWeightBytes / 1e6:F0} MB: lower --dim or --depth{(text is null ? "" : ", --text-dim or --text-depth")}");
            return 2;
        }
        ModelManifest manifest = vocabulary is null
            ? FashionMnistModel.Manifest(
                config,
                "UNTRAINED: randomly initialised U-ViT with AdaDiff exits for Fashion-MNIST (28x28 grey, 10 classes); its samples are noise. Train it with adadiff-tools train.",
                labelDropout: 0) // untrained: the null class means nothing yet, so no guidance by default (train writes its own)
            : FashionMnistModel.TextManifest(
                config,
                $"UNTRAINED: randomly initialised text-conditioned U-ViT with AdaDiff exits for Fashion-MNIST (28x28 grey; prompts of up to {vocabulary.MaxTokens} tokens from a {vocabulary.Count}-token vocabulary); its samples are noise.");
        ModelManifest written = PackageWriter.Save(outDir, manifest, new { command = commandText, seed, config = FashionMnistModel.ConfigRecord(config), steps = 0, epochs = 0 }, model, name);
        vocabulary?.Save(Path.Combine(outDir, PromptVocabulary.FileName));
        long fileBytes = new FileInfo(Path.Combine(outDir, written.Weights.File)).Length;
        Console.WriteLine($"wrote {outDir}: {fileBytes / 1e6:F1} MB weights, {written.Flops.FullForward / 1e9:F3} GFLOP per full forward, sha256 {written.Weights.Sha256}"
            + (vocabulary is null ? "" : $"; {PromptVocabulary.FileName} ({vocabulary.Count} tokens, {vocabulary.MaxTokens} a prompt, sha256 {vocabulary.Sha256})"));
        return 0;
    }

    private sealed record TextOptions(int Dim, int Depth, int Heads);
}
