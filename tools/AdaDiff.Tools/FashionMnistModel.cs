using System.Text.Json;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Engine;

namespace AdaDiff.Tools;

/// <summary>The manifest of the Fashion-MNIST model package.</summary>
internal static class FashionMnistModel
{
    public const string DefaultName = "fashion-mnist-uvit";

    public static readonly string[] ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static ModelManifest Manifest(string name, UViTConfig config, string description, object training) => new()
    {
        Name = name,
        Description = description,
        Architecture = "uvit-adadiff",
        Channels = config.Channels,
        Height = config.Height,
        Width = config.Width,
        PatchSize = config.PatchSize,
        EmbedDim = config.EmbedDim,
        Depth = config.Depth,
        NumHeads = config.NumHeads,
        MlpRatio = config.MlpRatio,
        NumClasses = config.NumClasses,
        ClassNames = ClassNames,
        SupportsUnconditional = true,
        NoiseSchedule = new NoiseScheduleSpec { Kind = BetaScheduleKind.Linear, Timesteps = 1000, BetaStart = 1e-4, BetaEnd = 0.02 },
        DefaultThreshold = 0.9f,
        DefaultMinLayers = 1,
        Flops = FlopCounter.Count(config),
        Weights = new WeightsFile { File = "weights.safetensors" },
        Training = JsonSerializer.SerializeToElement(training, ModelManifest.JsonOptions),
    };

    /// <summary>The command line as run, for the manifest's training record.</summary>
    public static string CommandText(string[] args) => "adadiff-tools " + string.Join(' ', args);
}
