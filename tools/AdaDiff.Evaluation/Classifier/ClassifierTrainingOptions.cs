namespace AdaDiff.Evaluation.Classifier;

/// <summary>How the Fashion-MNIST classifier is trained (the defaults made the shipped weights).</summary>
public sealed record ClassifierTrainingOptions
{
    /// <summary>Passes over the 60,000 training images.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Images per optimiser step.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Adam learning rate (halved for the last epoch).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Seeds the initialisation, the shuffling and dropout.</summary>
    public int Seed { get; init; }

    /// <summary>Weights to start from (fine-tuning a saved classifier) instead of a fresh initialisation; null = fresh.</summary>
    public string? InitialWeights { get; init; }

    /// <summary>Folder of the gzipped IDX files.</summary>
    public string DataDirectory { get; init; } = Backends.TorchSharp.Training.FashionMnist.DefaultDirectory;
}
