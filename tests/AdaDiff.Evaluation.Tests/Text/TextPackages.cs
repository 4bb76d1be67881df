using AdaDiff.Backends.TorchSharp;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Captions;
using AdaDiff.Engine;
using AdaDiff.Engine.Text;
using AdaDiff.Evaluation.Classifier;
using AdaDiff.Packaging;
using static TorchSharp.torch;

namespace AdaDiff.Evaluation.Tests.Text;

/// <summary>Tiny untrained text packages as <c>adadiff-tools init-model --text</c> writes them: 28×28, 3 layers, the captions' vocabulary.</summary>
internal static class TextPackages
{
    public static PromptVocabulary Vocabulary { get; } = CaptionVocabulary.Build(new CaptionGenerator(FashionClassifier.ClassNames));

    /// <summary>Writes the package into <paramref name="dir"/>; returns its manifest.</summary>
    public static ModelManifest Write(string dir, int seed = 5)
    {
        ModelManifest manifest = UViTConfig.FashionMnistText(TextConditioning.For(Vocabulary, encoderDim: 16, encoderDepth: 1, encoderHeads: 2), embedDim: 32, depth: 3, numHeads: 2) with
        {
            Name = "tiny-text",
            Description = "UNTRAINED tiny text test model",
            SupportsUnconditional = true,
            DefaultThreshold = 0.6f,
            DefaultGuidanceScale = 2f,
            Weights = new WeightsFile { File = ModelPackage.WeightsFileName },
        };
        manual_seed(seed);
        using (var model = new UViT(manifest))
        {
            UViTPackage.Save(dir, manifest, model);
        }
        Vocabulary.Save(Path.Combine(dir, PromptVocabulary.FileName));
        return manifest;
    }
}
