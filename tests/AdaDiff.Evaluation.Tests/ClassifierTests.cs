using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Evaluation.Classifier;
using static TorchSharp.torch;

namespace AdaDiff.Evaluation.Tests;

public class ClassifierTests
{
    [Fact]
    public void Load_ShippedClassifier_RecordsProvenanceAndClassifiesTestImages()
    {
        using ClassifierModel model = ClassifierModel.Load(ClassifierModel.DefaultPath);
        FashionMnist test = FashionMnist.Load(train: false);
        const int n = 1000;

        ClassifierOutputs outputs = model.Analyze(test.Images.AsSpan(0, n * FashionMnist.Pixels), n);
        double accuracy = Evaluator.Accuracy(outputs.Predictions, test.Labels.AsSpan(0, n).ToArray());

        Assert.True(model.RecordedTestAccuracy >= 0.90, $"recorded test accuracy {model.RecordedTestAccuracy}");
        Assert.Contains("--seed", model.Metadata["command"], StringComparison.Ordinal);
        Assert.True(accuracy >= 0.87, $"accuracy on the first {n} test images {accuracy}");
        Assert.Equal(n * FashionClassifier.FeatureDim, outputs.Features.Length);
        Assert.All(outputs.Features, f => Assert.True(f >= 0 && double.IsFinite(f))); // post-ReLU features
    }

    [Fact]
    public void SaveThenLoad_SameFeaturesAndMetadata()
    {
        manual_seed(2);
        using var fresh = ClassifierModel.FromTrained(new FashionClassifier(), new Dictionary<string, string> { ["seed"] = "2" });
        string path = Path.Combine(Path.GetTempPath(), $"adadiff-eval-{Guid.NewGuid():N}.safetensors");
        try
        {
            fresh.Save(path);
            using ClassifierModel loaded = ClassifierModel.Load(path);
            float[] images = Enumerable.Range(0, 2 * FashionMnist.Pixels).Select(i => (float)Math.Sin(i * 0.01)).ToArray();

            ClassifierOutputs a = fresh.Analyze(images, 2), b = loaded.Analyze(images, 2);

            Assert.Equal(a.Features, b.Features);
            Assert.Equal(a.Predictions, b.Predictions);
            Assert.Equal("2", loaded.Metadata["seed"]);
            Assert.True(File.Exists(Path.ChangeExtension(path, ".json")));
        }
        finally
        {
            File.Delete(path);
            File.Delete(Path.ChangeExtension(path, ".json"));
        }
    }

    [Fact]
    public void Load_MissingFile_ThrowsNamingIt()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ClassifierModel.Load("/nonexistent/classifier.safetensors"));
        Assert.Contains("/nonexistent/classifier.safetensors", e.Message, StringComparison.Ordinal);
    }
}
