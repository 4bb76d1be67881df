using System.Diagnostics;
using System.Globalization;
using AdaDiff.Backends.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Evaluation.Classifier;

/// <summary>Trains <see cref="FashionClassifier"/> on the Fashion-MNIST training split (Adam, cross-entropy).</summary>
public static class ClassifierTrainer
{
    /// <summary>
    /// Trains from scratch and measures the accuracy on the 10,000 test images; the result's metadata records
    /// the options, the command that reproduces it and that accuracy. Progress goes to <paramref name="log"/>.
    /// </summary>
    public static ClassifierModel Train(ClassifierTrainingOptions options, TextWriter log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        FashionMnist train = FashionMnist.Load(options.DataDirectory, train: true);
        FashionMnist test = FashionMnist.Load(options.DataDirectory, train: false);
        manual_seed(options.Seed);
        var network = new FashionClassifier();
        IReadOnlyDictionary<string, string>? initial = null;
        try
        {
            if (options.InitialWeights is string init)
            {
                var file = Packaging.Safetensors.SafetensorsFile.Read(init);
                Backends.TorchSharp.Safetensors.SafetensorsTorch.LoadInto(network, file, init);
                initial = file.Metadata;
            }
            var optimizer = optim.Adam(network.parameters(), options.LearningRate);
            var random = new Random(options.Seed);
            int[] order = Enumerable.Range(0, train.Count).ToArray();
            const int pixels = FashionClassifier.Side * FashionClassifier.Side;
            var batchImages = new float[options.BatchSize * pixels];
            var batchLabels = new long[options.BatchSize];
            var clock = Stopwatch.StartNew();
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                if (epoch == options.Epochs - 1 && options.Epochs > 1)
                {
                    foreach (var group in optimizer.ParamGroups)
                    {
                        group.LearningRate = options.LearningRate / 2;
                    }
                }
                random.Shuffle(order);
                network.train();
                double lossSum = 0;
                int batches = 0;
                for (int start = 0; start + options.BatchSize <= train.Count; start += options.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    for (int i = 0; i < options.BatchSize; i++)
                    {
                        int k = order[start + i];
                        train.Images.AsSpan(k * pixels, pixels).CopyTo(batchImages.AsSpan(i * pixels));
                        batchLabels[i] = train.Labels[k];
                    }
                    using var scope = NewDisposeScope();
                    Tensor x = tensor(batchImages, [options.BatchSize, 1, FashionClassifier.Side, FashionClassifier.Side]); // [B, 1, 28, 28]
                    Tensor y = tensor(batchLabels);                                                                   // [B]
                    Tensor loss = nn.functional.cross_entropy(network.forward(x), y);
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                    lossSum += loss.item<float>();
                    batches++;
                }
                network.eval();
                double accuracy = EvaluateWithoutOwnership(network, test);
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"classifier epoch {epoch + 1}/{options.Epochs}: loss {lossSum / batches:F4}, test accuracy {accuracy:P2}, {clock.Elapsed.TotalSeconds:F0} s"));
            }
            network.eval();
            double final = EvaluateWithoutOwnership(network, test);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["architecture"] = "conv3x3(1->32)-relu-pool-conv3x3(32->64)-relu-pool-linear(3136->128)-relu[features]-dropout(0.3)-linear(128->10)",
                ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
                ["epochs"] = options.Epochs.ToString(CultureInfo.InvariantCulture),
                ["batch_size"] = options.BatchSize.ToString(CultureInfo.InvariantCulture),
                ["learning_rate"] = options.LearningRate.ToString("R", CultureInfo.InvariantCulture),
                ["test_accuracy"] = final.ToString("F4", CultureInfo.InvariantCulture),
                ["train_seconds"] = clock.Elapsed.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture),
                ["command"] = string.Create(CultureInfo.InvariantCulture,
                    $"adadiff-tools eval classifier --epochs {options.Epochs} --seed {options.Seed} --batch-size {options.BatchSize} --lr {options.LearningRate.ToString("R", CultureInfo.InvariantCulture)}{(options.InitialWeights is null ? "" : " --init <the weights of `initial_command`>")}"),
            };
            if (initial is not null)
            {
                // Fine-tuned: keep the provenance of the starting point so the chain can be replayed.
                metadata["initial_command"] = initial.TryGetValue("command", out string? c) ? c : "?";
                metadata["initial_test_accuracy"] = initial.TryGetValue("test_accuracy", out string? a) ? a : "?";
            }
            return ClassifierModel.FromTrained(network, metadata);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private static double EvaluateWithoutOwnership(FashionClassifier network, FashionMnist test)
    {
        const int pixels = FashionClassifier.Side * FashionClassifier.Side;
        const int batch = 500;
        int correct = 0;
        using var noGrad = no_grad();
        for (int start = 0; start < test.Count; start += batch)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(batch, test.Count - start);
            Tensor x = tensor(test.Images.AsSpan(start * pixels, n * pixels).ToArray(), [n, 1, FashionClassifier.Side, FashionClassifier.Side]);
            long[] predicted = network.forward(x).argmax(1).data<long>().ToArray();
            for (int i = 0; i < n; i++)
            {
                correct += predicted[i] == test.Labels[start + i] ? 1 : 0;
            }
        }
        return (double)correct / test.Count;
    }
}
