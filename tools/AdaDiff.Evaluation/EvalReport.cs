using AdaDiff.Evaluation.Metrics;
using AdaDiff.Engine;

namespace AdaDiff.Evaluation;

/// <summary>Everything one eval run measured; serialised to <c>results.json</c>.</summary>
public sealed record EvalReport : SharedEvalReport<EvalSettings>
{
    /// <summary>Real-vs-real floor: random training images vs the test set, per sample size used.</summary>
    public required IReadOnlyList<FloorRecord> Floors { get; init; }

    /// <summary>Every configuration run, in order.</summary>
    public required IReadOnlyList<RunRecord> Runs { get; init; }

    /// <summary>The per-sample adaptive points beside the alternatives interpolated to the same mean depth.</summary>
    public required IReadOnlyList<EqualDepthRecord> EqualDepth { get; init; }

    /// <summary>The certainty probe: per-layer certainty of the weights and how thresholds were chosen.</summary>
    public required ProbeRecord Probe { get; init; }

    /// <summary>The baseline package's own probe (its sweep's thresholds); null without <c>--baseline-model</c>.</summary>
    public ProbeRecord? BaselineProbe { get; init; }

    /// <summary>The targets at the chosen threshold; null in reports written before they existed.</summary>
    public TargetsRecord? Targets { get; init; }

    /// <summary>Exit layer against timestep for the main sampler at the picture threshold.</summary>
    public HeatmapRecord? Heatmap { get; init; }

    /// <summary>Pictures written, relative to the output folder.</summary>
    public required IReadOnlyList<string> Pictures { get; init; }
}

/// <summary>The evaluated model package.</summary>
/// <param name="Name">Manifest name.</param>
/// <param name="Path">Package folder as given.</param>
/// <param name="Description">Manifest description.</param>
/// <param name="WeightsSha256">Weights hash from the manifest.</param>
/// <param name="Depth">Layers.</param>
/// <param name="TrainingSteps">Training steps recorded in the manifest, or null.</param>
/// <param name="WeightsNote">What state the weights are in.</param>
public sealed record ModelInfo(string Name, string Path, string Description, string? WeightsSha256, int Depth, long? TrainingSteps, string WeightsNote)
{
    /// <summary>The manifest's class names by class index; empty in results written before they were recorded.</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];
}

/// <summary>The classifier.</summary>
/// <param name="Path">Weights file.</param>
/// <param name="TestAccuracy">Accuracy on the 10,000 test images, measured in this run.</param>
/// <param name="Metadata">Provenance recorded with the weights.</param>
public sealed record ClassifierInfo(string Path, double TestAccuracy, IReadOnlyDictionary<string, string> Metadata);

/// <summary>Settings after defaults.</summary>
public sealed record EvalSettings(
    int Samples,
    int TargetSamples,
    SamplerKind Sampler,
    int Steps,
    IReadOnlyList<float> Thresholds,
    float PictureThreshold,
    int MinLayers,
    float Guidance,
    ulong Seed,
    int JobImages,
    int DdpmSamples,
    int DdpmSteps,
    int DdimSteps,
    int DpmSolverSteps)
{
    /// <summary>Backend that generated the images (results from before the option were made with torchsharp).</summary>
    public string Backend { get; init; } = EvalOptions.BackendTorchSharp;
}

/// <summary>FID-proxy between <paramref name="Samples"/> random training images and the 10,000 test images.</summary>
public sealed record FloorRecord(int Samples, double Fid);

/// <summary>One configuration and what it measured.</summary>
/// <param name="Id">Short unique name (also in picture names).</param>
/// <param name="Group">full | adaptive | per-batch | static | steps | baseline | unconditional.</param>
/// <param name="Package">Which package (model or baseline label).</param>
/// <param name="Sampler">Sampler.</param>
/// <param name="Steps">Sampling steps.</param>
/// <param name="Samples">Images.</param>
/// <param name="Mode">Exit mode.</param>
/// <param name="Threshold">ADAPTIVE threshold, else null.</param>
/// <param name="FixedDepth">FIXED_DEPTH layer, else null.</param>
/// <param name="PerBatchDecision">The per-batch rule.</param>
/// <param name="MeanLayers">Mean layers executed per image and step (from the engine's ComputeTotals).</param>
/// <param name="AccelerationRatio">1 − layers executed / layers at full depth.</param>
/// <param name="FlopsRatio">FLOPs executed / FLOPs of full-depth passes (exit heads included).</param>
/// <param name="Fid">FID-proxy against the test set; null for unconditional runs too small to fit.</param>
/// <param name="ClassAccuracy">Classifier agrees with the requested class; null when unconditional.</param>
/// <param name="PsnrVsFull">Mean PSNR (dB) against the full-depth images of the same sampler and seeds; null for the full run itself.</param>
/// <param name="WallSeconds">Seconds generating.</param>
/// <param name="ImagesPerSecond">Images per second (all configurations share the machine; context only).</param>
public sealed record RunRecord(
    string Id,
    string Group,
    string Package,
    SamplerKind Sampler,
    int Steps,
    int Samples,
    ExitMode Mode,
    float? Threshold,
    int? FixedDepth,
    bool PerBatchDecision,
    double MeanLayers,
    double AccelerationRatio,
    double FlopsRatio,
    double? Fid,
    double? ClassAccuracy,
    double? PsnrVsFull,
    double WallSeconds,
    double ImagesPerSecond)
{
    /// <summary>The depth of each step (sampling order) of a timestep-schedule run; null for every other policy.</summary>
    public IReadOnlyList<int>? DepthSchedule { get; init; }

    /// <summary>95% bootstrap interval of <see cref="Fid"/> over the run's images (the test set held fixed); null below 2 images.</summary>
    public ConfidenceInterval? FidInterval { get; init; }

    /// <summary>95% bootstrap interval of <see cref="ClassAccuracy"/> over the run's images; null when not conditional.</summary>
    public ConfidenceInterval? AccuracyInterval { get; init; }
}

/// <summary>A per-sample adaptive point and the others at its mean depth (linear interpolation between measured points; null outside their range).</summary>
public sealed record EqualDepthRecord(
    float Threshold,
    double MeanLayers,
    double FidPerSample,
    double? FidPerBatch,
    double? FidStatic,
    double? FidBaseline,
    double? AccuracyPerSample,
    double? AccuracyStatic)
{
    /// <summary>
    /// 95% paired bootstrap interval of FID per-sample − FID static at this depth (static interpolated between the two
    /// truncation depths around it, both re-scored on each resample of the same image indices, i.e. the same seeds);
    /// a negative interval that excludes 0 is the only case in which per-sample exits are said to beat static truncation.
    /// </summary>
    public ConfidenceInterval? StaticDifference { get; init; }
}

/// <summary>Fraction of images exiting at each layer at each step.</summary>
/// <param name="RunId">The run it comes from.</param>
/// <param name="Timesteps">Timestep of each step, [steps].</param>
/// <param name="Fractions">[steps][depth]: fraction of images exiting at layer l + 1.</param>
/// <param name="MeanExitLayer">Mean exit layer per step.</param>
public sealed record HeatmapRecord(string RunId, int[] Timesteps, double[][] Fractions, double[] MeanExitLayer);

/// <summary>Certainty of each layer on noised test images, and the thresholds chosen from it.</summary>
/// <param name="Rows">Noised test images (random timesteps).</param>
/// <param name="MeanCertaintyPerLayer">Mean certainty after each layer, [depth].</param>
/// <param name="Choices">Automatic thresholds (empty when thresholds were given).</param>
public sealed record ProbeRecord(int Rows, double[] MeanCertaintyPerLayer, IReadOnlyList<ThresholdChoice> Choices);

/// <summary>A threshold aimed at saving <paramref name="TargetSaved"/> of the layers on the probe.</summary>
/// <param name="TargetSaved">Fraction of layers the threshold aims to save.</param>
/// <param name="Threshold">The threshold found.</param>
/// <param name="ProbeMeanLayers">Mean exit layer on the probe at that threshold.</param>
public sealed record ThresholdChoice(float TargetSaved, float Threshold, double ProbeMeanLayers);

/// <summary>How the threshold of the targets (and the model's default, with <c>--write-default</c>) was chosen.</summary>
/// <param name="Threshold">The chosen threshold.</param>
/// <param name="RunId">The sweep run it was chosen on.</param>
/// <param name="Rule">How: by the quality bar, or given with <c>--threshold</c>.</param>
/// <param name="MetQualityBar">Whether any swept point met the bar; false means the most conservative point was taken.</param>
/// <param name="MaxFidRatio">Bar: FID-proxy at most this multiple of full depth's.</param>
/// <param name="MaxAccuracyDrop">Bar: class accuracy at most this much below full depth's.</param>
/// <param name="Samples">Images per run of the sweep it was chosen on.</param>
public sealed record SelectionRecord(float Threshold, string RunId, string Rule, bool MetQualityBar, double MaxFidRatio, double MaxAccuracyDrop, int Samples)
{
    /// <summary>Margin asked of the accuracy when choosing (one standard error of full depth's accuracy at the sweep's N); 0 for a given threshold.</summary>
    public double AccuracyMargin { get; init; }

    /// <summary>The earliest exit layer the threshold was measured with (written as the package's <c>defaultMinLayers</c>).</summary>
    public int MinLayers { get; init; } = 1;
}

/// <summary>The targets, judged on <paramref name="Samples"/> images per run.</summary>
/// <param name="Samples">Images of the two runs judged.</param>
/// <param name="FullRunId">The full-depth run.</param>
/// <param name="AdaptiveRunId">The run at the chosen threshold.</param>
/// <param name="Selection">How the threshold was chosen.</param>
/// <param name="Checks">Each target with its measured value.</param>
public sealed record TargetsRecord(int Samples, string FullRunId, string AdaptiveRunId, SelectionRecord Selection, IReadOnlyList<TargetCheck> Checks);

/// <summary>One target.</summary>
/// <param name="Target">What is asked, in words.</param>
/// <param name="Measured">What was measured, in words.</param>
/// <param name="Met">Whether it is met.</param>
public sealed record TargetCheck(string Target, string Measured, bool Met);
