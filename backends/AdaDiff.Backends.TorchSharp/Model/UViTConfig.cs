using AdaDiff.Engine;

namespace AdaDiff.Backends.TorchSharp.Model;

/// <summary>
/// Named configurations of the U-ViT with exits, as manifests: a network's architecture is the manifest's
/// (<see cref="UViT(ModelManifest, bool)"/>), so a configuration is a manifest with a placeholder name, the default
/// noise schedule and its FLOPs counted. A package writer sets the rest (name, description, schedule, defaults)
/// with <c>with</c>; a change of shape goes through <see cref="Create"/>, which counts the FLOPs again.
/// </summary>
public static class UViTConfig
{
    /// <summary>The Fashion-MNIST model: 1×28×28, p=4 (49 patches), class-conditional with 10 classes.</summary>
    public static ModelManifest FashionMnist(int embedDim = 128, int depth = 13, int numHeads = 4) =>
        Create("fashion-mnist-uvit", channels: 1, height: 28, width: 28, patchSize: 4, embedDim, depth, numHeads, mlpRatio: 4.0, numClasses: 10);

    /// <summary>
    /// The Fashion-MNIST text model: 1×28×28, p=4 (49 patches), the denoiser of <see cref="FashionMnist"/> with
    /// <paramref name="text"/>'s prompt tokens (and its text encoder) in place of the label token.
    /// </summary>
    public static ModelManifest FashionMnistText(TextConditioning text, int embedDim = 128, int depth = 13, int numHeads = 4) =>
        Create("fashion-mnist-text-uvit", channels: 1, height: 28, width: 28, patchSize: 4, embedDim, depth, numHeads, mlpRatio: 4.0, numClasses: 0, text);

    /// <summary>A tiny model for tests: 1×8×8, p=2, D=32, 5 layers, 3 classes.</summary>
    public static ModelManifest Tiny(int numClasses = 3) =>
        Create("tiny", channels: 1, height: 8, width: 8, patchSize: 2, embedDim: 32, depth: 5, numHeads: 2, mlpRatio: 2.0, numClasses);

    /// <summary>
    /// A text-conditioned U-ViT for tests: 1×8×8, p=2, D=32, 5 layers, prompts of <paramref name="text"/>'s vocabulary
    /// through its text encoder.
    /// </summary>
    public static ModelManifest TinyText(TextConditioning text) =>
        Create("tiny-text", channels: 1, height: 8, width: 8, patchSize: 2, embedDim: 32, depth: 5, numHeads: 2, mlpRatio: 2.0, numClasses: 0, text);

    /// <summary>
    /// A class-conditional (or, with no classes, unconditional) U-ViT of the given shape, or with <paramref name="text"/>
    /// (and no classes) a text-conditioned one; validated.
    /// </summary>
    public static ModelManifest Create(string name, int channels, int height, int width, int patchSize, int embedDim, int depth, int numHeads, double mlpRatio, int numClasses, TextConditioning? text = null)
    {
        var manifest = new ModelManifest
        {
            Name = name,
            Architecture = Architecture,
            Channels = channels,
            Height = height,
            Width = width,
            PatchSize = patchSize,
            EmbedDim = embedDim,
            Depth = depth,
            NumHeads = numHeads,
            MlpRatio = mlpRatio,
            NumClasses = numClasses,
            Conditioning = text is null ? ConditioningKind.Class : ConditioningKind.Text,
            Text = text,
            SupportsUnconditional = true,
            NoiseSchedule = new NoiseScheduleSpec(),
            Flops = new FlopCounts { Embed = 0, PerLayer = new double[Math.Max(depth, 0)], Uem = 0, Head = 0 },
            Weights = new WeightsFile { File = "weights.safetensors" },
        };
        manifest.Validate(name);
        return WithFlops(manifest);
    }

    /// <summary>The manifest with its FLOPs counted from its architecture (<see cref="FlopCounter"/>).</summary>
    public static ModelManifest WithFlops(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest with { Flops = FlopCounter.Count(manifest) };
    }

    /// <summary>The architecture id of every manifest made here.</summary>
    public const string Architecture = "uvit-adadiff";
}
