using System.Globalization;
using AdaDiff.Backends.TorchSharp.Safetensors;
using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Evaluation.Internal;
using static TorchSharp.torch;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Evaluation.Classifier;

/// <summary>Features [Count, 128] (row-major, float64) and predicted classes of a set of images.</summary>
/// <param name="Features">Penultimate activations, row-major [Count, FeatureDim].</param>
/// <param name="Predictions">Arg-max class per image.</param>
public sealed record ClassifierOutputs(double[] Features, int[] Predictions)
{
    /// <summary>Number of images.</summary>
    public int Count => Predictions.Length;
}

/// <summary>
/// A trained <see cref="FashionClassifier"/> in eval mode (no gradients), loaded from or saved to safetensors
/// with its provenance (seed, command, test accuracy) in the header metadata.
/// </summary>
public sealed class ClassifierModel : IDisposable
{
    /// <summary>File name of the shipped weights (copied beside the assembly under <c>classifier/</c>).</summary>
    public const string FileName = "fashion-mnist-cnn.safetensors";

    /// <summary>Images per forward pass when analysing (≈100 KB of activations per image: 50 MB a batch).</summary>
    private const int AnalyzeBatch = 500;

    private readonly FashionClassifier network;

    private ClassifierModel(FashionClassifier network, IReadOnlyDictionary<string, string> metadata)
    {
        this.network = network;
        Metadata = metadata;
        network.eval();
        foreach (Tensor p in network.parameters())
        {
            p.requires_grad = false;
        }
    }

    /// <summary>Provenance recorded with the weights (seed, epochs, command, test_accuracy).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Test accuracy recorded at training time, or NaN.</summary>
    public double RecordedTestAccuracy =>
        Metadata.TryGetValue("test_accuracy", out string? text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : double.NaN;

    /// <summary>Where the shipped weights sit beside this assembly.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "classifier", FileName);

    /// <summary>Loads weights; throws <see cref="FileNotFoundException"/> or <see cref="InvalidDataException"/> naming the file.</summary>
    public static ClassifierModel Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: classifier weights not found (train them with `adadiff-tools eval classifier --out {path}`)", path);
        }
        SafetensorsFile file = SafetensorsFile.Read(path);
        var network = new FashionClassifier();
        try
        {
            SafetensorsTorch.LoadInto(network, file, path);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return new ClassifierModel(network, file.Metadata);
    }

    /// <summary>Wraps a trained network (takes ownership).</summary>
    internal static ClassifierModel FromTrained(FashionClassifier network, IReadOnlyDictionary<string, string> metadata) => new(network, metadata);

    /// <summary>Writes the weights with their metadata, and a JSON sidecar of the metadata beside them.</summary>
    public void Save(string path)
    {
        new SafetensorsFile(SafetensorsTorch.StateEntries(network), Metadata).Write(path);
        var sidecar = new SortedDictionary<string, string>(Metadata.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
        File.WriteAllText(Path.ChangeExtension(path, ".json"), System.Text.Json.JsonSerializer.Serialize(sidecar, JsonOutput.Options) + "\n");
    }

    /// <summary>Features and predictions of <paramref name="count"/> images [count, 28, 28] in [-1, 1].</summary>
    public ClassifierOutputs Analyze(ReadOnlySpan<float> images, int count)
    {
        const int pixels = FashionClassifier.Side * FashionClassifier.Side;
        if (images.Length != count * pixels)
        {
            throw new ArgumentException($"{images.Length} values for {count} images of {pixels}", nameof(images));
        }
        var features = new double[count * FashionClassifier.FeatureDim];
        var predictions = new int[count];
        using var noGrad = no_grad();
        for (int start = 0; start < count; start += AnalyzeBatch)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(AnalyzeBatch, count - start);
            Tensor x = tensor(images.Slice(start * pixels, n * pixels).ToArray(), [n, 1, FashionClassifier.Side, FashionClassifier.Side]); // [n, 1, 28, 28]
            Tensor h = network.Features(x);                                                   // [n, 128]
            Tensor logits = network.Logits(h);                                                // [n, 10]
            float[] f = h.data<float>().ToArray();
            for (int i = 0; i < f.Length; i++)
            {
                features[(start * FashionClassifier.FeatureDim) + i] = f[i];
            }
            long[] arg = logits.argmax(1).data<long>().ToArray();
            for (int i = 0; i < n; i++)
            {
                predictions[start + i] = (int)arg[i];
            }
        }
        return new ClassifierOutputs(features, predictions);
    }

    /// <summary>Fraction of <paramref name="data"/>'s images classified as their label.</summary>
    public double Accuracy(FashionMnist data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ClassifierOutputs outputs = Analyze(data.Images, data.Count);
        int correct = 0;
        for (int i = 0; i < data.Count; i++)
        {
            correct += outputs.Predictions[i] == data.Labels[i] ? 1 : 0;
        }
        return (double)correct / data.Count;
    }

    /// <inheritdoc/>
    public void Dispose() => network.Dispose();
}
