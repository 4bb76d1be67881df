using System.Text.Json.Serialization;
using AdaDiff.Engine;

namespace AdaDiff.Backends.TorchSharp.Model;

/// <summary>Shape of a U-ViT with exits; everything the modules need, taken from a model manifest.</summary>
public sealed record UViTConfig
{
    /// <summary>Image channels C.</summary>
    public required int Channels { get; init; }

    /// <summary>Image height H.</summary>
    public required int Height { get; init; }

    /// <summary>Image width W.</summary>
    public required int Width { get; init; }

    /// <summary>Patch size p.</summary>
    public required int PatchSize { get; init; }

    /// <summary>Width D.</summary>
    public required int EmbedDim { get; init; }

    /// <summary>Layers (odd): depth/2 in-blocks, one mid-block, depth/2 out-blocks.</summary>
    public required int Depth { get; init; }

    /// <summary>Attention heads.</summary>
    public required int NumHeads { get; init; }

    /// <summary>MLP hidden width over D.</summary>
    public double MlpRatio { get; init; } = 4.0;

    /// <summary>Classes; 0 for an unconditional model (no label token).</summary>
    public int NumClasses { get; init; }

    /// <summary>Bias on the qkv projection (U-ViT default: false).</summary>
    public bool QkvBias { get; init; }

    /// <summary>Patch tokens N = (H/p)(W/p).</summary>
    [JsonIgnore]
    public int PatchTokens => (Height / PatchSize) * (Width / PatchSize);

    /// <summary>Tokens before the patches: the time token, plus the label token when class-conditional.</summary>
    [JsonIgnore]
    public int ExtraTokens => NumClasses > 0 ? 2 : 1;

    /// <summary>All tokens T = extras + N.</summary>
    [JsonIgnore]
    public int Tokens => ExtraTokens + PatchTokens;

    /// <summary>Values per patch: p²C.</summary>
    [JsonIgnore]
    public int PatchDim => PatchSize * PatchSize * Channels;

    /// <summary>MLP hidden width.</summary>
    [JsonIgnore]
    public int MlpHidden => (int)(EmbedDim * MlpRatio);

    /// <summary>The configuration of a manifest (validated by the manifest).</summary>
    public static UViTConfig FromManifest(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new UViTConfig
        {
            Channels = manifest.Channels,
            Height = manifest.Height,
            Width = manifest.Width,
            PatchSize = manifest.PatchSize,
            EmbedDim = manifest.EmbedDim,
            Depth = manifest.Depth,
            NumHeads = manifest.NumHeads,
            MlpRatio = manifest.MlpRatio,
            NumClasses = manifest.NumClasses,
        };
    }

    /// <summary>The Fashion-MNIST model: 1×28×28, p=4 (49 patches), class-conditional with 10 classes.</summary>
    public static UViTConfig FashionMnist(int embedDim = 128, int depth = 13, int numHeads = 4) => new()
    {
        Channels = 1,
        Height = 28,
        Width = 28,
        PatchSize = 4,
        EmbedDim = embedDim,
        Depth = depth,
        NumHeads = numHeads,
        MlpRatio = 4.0,
        NumClasses = 10,
    };

    /// <summary>A tiny model for tests: 1×8×8, p=2, D=32, 5 layers, 3 classes.</summary>
    public static UViTConfig Tiny(int numClasses = 3) => new()
    {
        Channels = 1,
        Height = 8,
        Width = 8,
        PatchSize = 2,
        EmbedDim = 32,
        Depth = 5,
        NumHeads = 2,
        MlpRatio = 2.0,
        NumClasses = numClasses,
    };
}
