using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Engine;
using static TorchSharp.torch;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Tools;

/// <summary><c>init-model</c>: writes a model package with randomly initialised (UNTRAINED) weights.</summary>
internal static class InitModelCommand
{
    public const string Usage = "init-model --out <dir> [--name <name>] [--dim 128] [--depth 13] [--heads 4] [--seed 0]";

    public static int Run(string[] args)
    {
        var line = new CommandLine(args[1..], new HashSet<string>());
        string outDir = line.Required("out");
        string? name = line.String("name"); // default: the folder's name
        int dim = line.Int("dim", 128);
        int depth = line.Int("depth", 13);
        int heads = line.Int("heads", 4);
        int seed = line.Int("seed", 0);
        line.RejectUnknown();

        UViTConfig config = UViTConfig.FashionMnist(dim, depth, heads);
        manual_seed(seed);
        using var model = new UViT(config);
        ModelManifest manifest = FashionMnistModel.Manifest(
            config,
            "UNTRAINED: randomly initialised U-ViT with AdaDiff exits for Fashion-MNIST (28x28 grey, 10 classes); its samples are noise. Train it with adadiff-tools train.",
            labelDropout: 0); // untrained: the null class means nothing yet, so no guidance by default (train writes its own)
        ModelManifest written = PackageWriter.Save(outDir, manifest, new { command = FashionMnistModel.CommandText(args), seed, config, steps = 0, epochs = 0 }, model, name);
        long bytes = new FileInfo(Path.Combine(outDir, written.Weights.File)).Length;
        Console.WriteLine($"wrote {outDir}: {bytes / 1e6:F1} MB weights, {written.Flops.FullForward / 1e9:F3} GFLOP per full forward, sha256 {written.Weights.Sha256}");
        return 0;
    }
}
