using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Evaluation.Internal.Steps;

/// <summary>What the steps of one evaluation share: the model, the plan, the scorer, and every run measured so far.</summary>
internal sealed class EvalRun
{
    private MainSweep? main;

    public EvalRun(EvalOptions options, IDenoiserBackend backend, FashionMnist test, Scorer scorer, ThresholdSweep sweep, int minLayers, TextWriter log)
    {
        Options = options;
        Backend = backend;
        Test = test;
        Scorer = scorer;
        Sweep = sweep;
        MinLayers = minLayers;
        Log = log;
        Plan = new Plan(options, backend.Manifest, sweep.Thresholds, minLayers);
        Progress = new Progress(log, Plan.EstimatedWork);
    }

    public EvalOptions Options { get; }

    /// <summary>The evaluated package's backend.</summary>
    public IDenoiserBackend Backend { get; }

    public ModelManifest Manifest => Backend.Manifest;

    public FashionMnist Test { get; }

    public Scorer Scorer { get; }

    /// <summary>The evaluated package's thresholds and probe.</summary>
    public ThresholdSweep Sweep { get; }

    public int MinLayers { get; }

    public TextWriter Log { get; }

    public Plan Plan { get; }

    public Progress Progress { get; }

    /// <summary>Every configuration measured, in the order it ran (the report's order).</summary>
    public List<MeasuredRun> Runs { get; } = [];

    /// <summary>The main sampler's sweep and the threshold chosen on it; set by <see cref="MainSweepStep"/>, which runs first.</summary>
    public MainSweep Main
    {
        get => main ?? throw new InvalidOperationException("the main sweep runs before every other step");
        set => main = value;
    }

    public List<MeasuredRun> PerBatch { get; } = [];

    public List<MeasuredRun> Statics { get; } = [];

    /// <summary>The baseline package's full depth and sweep (empty without <c>--baseline-model</c>).</summary>
    public List<MeasuredRun> Baseline { get; } = [];

    public ProbeRecord? BaselineProbe { get; set; }

    /// <summary>The two runs the targets are judged on; the sweep's own unless <see cref="TargetsStep"/> ran larger ones.</summary>
    public (MeasuredRun Full, MeasuredRun Adaptive)? Targets { get; set; }

    /// <summary>Unconditional full depth and exits at the chosen threshold, for the unconditional grids.</summary>
    public (MeasuredRun Full, MeasuredRun Adaptive)? Unconditional { get; set; }

    /// <summary>Generates <paramref name="spec"/> (on the evaluated package unless <paramref name="on"/> says), measures it and records it.</summary>
    public async Task<MeasuredRun> MeasureAsync(GenerationSpec spec, MeasuredRun? reference, CancellationToken cancellationToken, IDenoiserBackend? on = null)
    {
        Progress.Stage($"{Runs.Count + 1}/{Plan.EstimatedRuns}+ {spec.Id}");
        GeneratedSet set = await GeneratedSet.GenerateAsync(on ?? Backend, spec, Options.Seed, Options.JobImages, Options.MaxBatchRows, Progress, cancellationToken);
        MeasuredRun measured = Scorer.Measure(set, reference);
        Runs.Add(measured);
        return measured;
    }
}

/// <summary>The main sampler at full depth and per-sample exits at every threshold, and the threshold chosen on them.</summary>
/// <param name="Full">Full depth.</param>
/// <param name="PerSample">One run per swept threshold, ascending.</param>
/// <param name="Selection">How the threshold of the targets, pictures and comparisons was chosen.</param>
/// <param name="PictureRun">The per-sample run at that threshold.</param>
/// <param name="Heatmap">Its exit layers per step.</param>
internal sealed record MainSweep(MeasuredRun Full, List<MeasuredRun> PerSample, SelectionRecord Selection, MeasuredRun PictureRun, HeatmapRecord Heatmap)
{
    /// <summary>The chosen threshold.</summary>
    public float Threshold => Selection.Threshold;
}
