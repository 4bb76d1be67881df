using AdaDiff.Backends.TorchSharp;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Engine;
using static TorchSharp.torch;

namespace AdaDiff.Parity.Tests;

/// <summary>Small random model packages, so the parity tests do not depend on the shipped model's values.</summary>
internal static class TestPackages
{
    /// <summary>
    /// A class-conditional depth-5 D=64 model on 2×16×8 images, an unconditional depth-3 D=32 one on 1×8×12, and a
    /// text-conditioned depth-3 D=32 one on 1×8×8 with a two-block, 16-wide text encoder over 6 tokens of 9.
    /// </summary>
    public static readonly string[] Configs = ["conditional-d64-l5", "unconditional-d32-l3", "text-d32-l3"];

    /// <summary>Writes the random package <paramref name="name"/> (one of <see cref="Configs"/>) under <paramref name="parent"/>; returns its folder.</summary>
    public static string WriteRandom(string parent, string name, int seed)
    {
        ModelManifest manifest = name switch
        {
            // Non-square, two channels: unpatchify and channel order are checked.
            "conditional-d64-l5" => UViTConfig.Create(name, channels: 2, height: 16, width: 8, patchSize: 4, embedDim: 64, depth: 5, numHeads: 4, mlpRatio: 2.0, numClasses: 3),
            "unconditional-d32-l3" => UViTConfig.Create(name, channels: 1, height: 8, width: 12, patchSize: 2, embedDim: 32, depth: 3, numHeads: 2, mlpRatio: 3.0, numClasses: 0),
            "text-d32-l3" => UViTConfig.Create(name, channels: 1, height: 8, width: 8, patchSize: 2, embedDim: 32, depth: 3, numHeads: 2, mlpRatio: 2.0, numClasses: 0, Text()),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown test config"),
        };
        string dir = Path.Combine(parent, name);
        manual_seed(seed);
        using var model = new UViT(manifest);
        Randomize(model, seed);
        UViTPackage.Save(dir, manifest, model);
        return dir;
    }

    /// <summary>The text side of "text-d32-l3": a vocabulary of 5 words (9 tokens), prompts of 6.</summary>
    private static TextConditioning Text() =>
        TextConditioning.For(AdaDiff.Engine.Text.PromptVocabulary.Create(["a", "boot", "dark", "small", "wide"], maxTokens: 6), encoderDim: 16, encoderDepth: 2, encoderHeads: 2);

    /// <summary>
    /// Every parameter drawn afresh: weights N(0, 1/fan_in), so no matrix is symmetric or rank-deficient and a
    /// transposed weight, swapped head or wrong token order shows; biases N(0, 0.1²), norm weights 1 + N(0, 0.1²),
    /// pos_embed N(0, 0.1²), label_emb N(0, 1). (UViT's own init cannot be used: TorchSharp 0.107's
    /// nn.init.trunc_normal_ fills every element with the std, see README.md.)
    /// </summary>
    private static void Randomize(UViT model, int seed)
    {
        var generator = new Generator((ulong)seed + 100);
        using var noGrad = no_grad();
        foreach ((string name, Tensor parameter) in model.named_parameters())
        {
            using var scope = NewDisposeScope();
            Tensor noise = randn(parameter.shape, generator: generator);
            long fanIn = 1;
            for (int d = 1; d < parameter.shape.Length; d++)
            {
                fanIn *= parameter.shape[d];
            }
            Tensor value = name switch
            {
                _ when name.EndsWith(".bias", StringComparison.Ordinal) => noise.mul(0.1),
                _ when name.Contains("norm", StringComparison.Ordinal) => noise.mul(0.1).add(1.0),
                "pos_embed" => noise.mul(0.1),
                "label_emb.weight" or "text_encoder.token_emb.weight" => noise,
                _ => noise.mul(1.0 / Math.Sqrt(fanIn)),
            };
            parameter.copy_(value);
        }
    }
}
