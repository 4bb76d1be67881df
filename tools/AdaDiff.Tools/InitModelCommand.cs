using System.CommandLine;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Engine;
using AdaDiff.Tools.Shared;
using static TorchSharp.torch;

namespace AdaDiff.Tools;

/// <summary><c>init-model</c>: writes a model package with randomly initialised (UNTRAINED) weights.</summary>
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
        var command = new Command("init-model", "Write a model package with randomly initialised (UNTRAINED) weights") { outDir, name, dim, depth, heads, seed };
        command.SetAction(parse => Run(
            parse.GetRequiredValue(outDir), parse.GetValue(name), parse.GetValue(dim), parse.GetValue(depth), parse.GetValue(heads), parse.GetValue(seed),
            commandText));
        return command;
    }

    private static int Run(string outDir, string? name, int dim, int depth, int heads, int seed, string commandText)
    {
        ModelManifest config = UViTConfig.FashionMnist(dim, depth, heads);
        manual_seed(seed);
        using var model = new UViT(config);
        ModelManifest manifest = FashionMnistModel.Manifest(
            config,
            "UNTRAINED: randomly initialised U-ViT with AdaDiff exits for Fashion-MNIST (28x28 grey, 10 classes); its samples are noise. Train it with adadiff-tools train.",
            labelDropout: 0); // untrained: the null class means nothing yet, so no guidance by default (train writes its own)
        ModelManifest written = PackageWriter.Save(outDir, manifest, new { command = commandText, seed, config = FashionMnistModel.ConfigRecord(config), steps = 0, epochs = 0 }, model, name);
        long bytes = new FileInfo(Path.Combine(outDir, written.Weights.File)).Length;
        Console.WriteLine($"wrote {outDir}: {bytes / 1e6:F1} MB weights, {written.Flops.FullForward / 1e9:F3} GFLOP per full forward, sha256 {written.Weights.Sha256}");
        return 0;
    }
}
