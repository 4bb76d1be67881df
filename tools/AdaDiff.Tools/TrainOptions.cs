namespace AdaDiff.Tools;

/// <summary>Settings of <c>adadiff-tools train</c>.</summary>
internal sealed record TrainOptions
{
    public required string OutDir { get; init; }
    public string? PackageDir { get; init; }
    public string DataDir { get; init; } = AdaDiff.Backends.TorchSharp.Training.FashionMnist.DefaultDirectory;
    public bool Resume { get; init; }
    /// <summary>A package whose weights, step count and training record a new run starts from, with a fresh optimizer (null: none).</summary>
    public string? InitFrom { get; init; }
    public int Epochs { get; init; } = 25;
    public int Batch { get; init; } = 128;
    public double LearningRate { get; init; } = 2e-4;
    public int WarmupSteps { get; init; } = 500;
    public double WeightDecay { get; init; } = 0.03;
    public double EmaDecay { get; init; } = 0.999;
    /// <summary>Share of rows trained unconditioned (classifier-free guidance): the null class, or with <see cref="Text"/> the all-padding prompt.</summary>
    public double LabelDropout { get; init; } = 0.1;
    public double ClipGradNorm { get; init; } = 1.0;
    public bool HorizontalFlip { get; init; }

    /// <summary>
    /// Train with the uncertainty-aware layer-wise loss (the method); false trains the ablation baseline: the backbone
    /// learns from the final loss alone and the UEMs (detached inputs) learn on it as on a frozen backbone.
    /// </summary>
    public bool LayerwiseLoss { get; init; } = true;
    public int Seed { get; init; }
    public int Threads { get; init; } = Environment.ProcessorCount;
    public int Dim { get; init; } = 128;
    public int Depth { get; init; } = 13;
    public int Heads { get; init; } = 4;

    /// <summary>A text-conditioned model trained on captions (<see cref="CaptionConditions"/>) instead of a class model.</summary>
    public bool Text { get; init; }
    public int TextDim { get; init; } = 64;
    public int TextDepth { get; init; } = 2;
    public int TextHeads { get; init; } = 2;
    public double CheckpointMinutes { get; init; } = 10;
    public int LogEvery { get; init; } = 50;
    /// <summary>Stop after this many steps in this run (0 = no limit); for benchmarks.</summary>
    public int MaxSteps { get; init; }
    public required string Command { get; init; }
}
