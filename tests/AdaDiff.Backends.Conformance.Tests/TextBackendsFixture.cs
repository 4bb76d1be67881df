using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Engine;
using AdaDiff.Engine.Text;
using AdaDiff.Packaging;
using static TorchSharp.torch;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>
/// Both backends on one tiny random text-conditioned package (<see cref="UViTConfig.TinyText"/>: 1×8×8, D=32, 5
/// layers, a two-block text encoder over prompts of 7 tokens): written by TorchSharp, exported to ONNX into its
/// <c>onnx/</c> and loaded from there, as the shipped package is in <see cref="BackendsFixture"/>.
/// </summary>
public sealed class TextBackendsFixture : BackendPair
{
    private static readonly string[] Words = ["a", "ankle", "boot", "bright", "dark", "dress", "small", "wide"];

    public TextBackendsFixture() : base("adadiff-conformance-text-")
    {
        Tokenizer = new PromptTokenizer(PromptVocabulary.Create(Words, maxTokens: 7));
        var text = TextConditioning.For(Tokenizer.Vocabulary, encoderDim: 16, encoderDepth: 2, encoderHeads: 2);
        ModelManifest manifest = UViTConfig.TinyText(text) with { Weights = new WeightsFile { File = ModelPackage.WeightsFileName } };
        manual_seed(21);
        using (var model = new UViT(manifest))
        {
            Randomize(model, seed: 21);
            UViTPackage.Save(Directory, manifest, model);
        }
        PackageWeights weights = PackageWeights.Read(Directory);
        OnnxExport.Create(weights.Manifest, weights.Bytes, weights.Path).Write(Directory);
        Load();
    }

    /// <summary>The tokenizer of the package's vocabulary.</summary>
    public PromptTokenizer Tokenizer { get; }

    /// <summary>Biases, norms and embeddings drawn afresh, so a wrong token order, a dropped text block or a swapped table shows.</summary>
    private static void Randomize(UViT model, int seed)
    {
        var generator = new Generator((ulong)seed + 100);
        using var noGrad = no_grad();
        foreach ((string name, Tensor parameter) in model.named_parameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal) || name.Contains("norm", StringComparison.Ordinal))
            {
                parameter.add_(randn(parameter.shape, generator: generator).mul(0.1));
            }
            else if (name.StartsWith("text_encoder.", StringComparison.Ordinal) && (name.EndsWith("emb.weight", StringComparison.Ordinal) || name.EndsWith("pos_embed", StringComparison.Ordinal)))
            {
                parameter.copy_(randn(parameter.shape, generator: generator));
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TextBackendsCollection : ICollectionFixture<TextBackendsFixture>
{
    public const string Name = "text backends";
}
