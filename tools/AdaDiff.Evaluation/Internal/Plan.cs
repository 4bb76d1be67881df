using System.Globalization;
using AdaDiff.Engine;
using AdaDiff.Evaluation.Internal.Policies;

namespace AdaDiff.Evaluation.Internal;

/// <summary>Names and builds the configurations of a run, and estimates its work for the ETA.</summary>
internal sealed class Plan(EvalOptions options, ModelManifest manifest, IReadOnlyList<float> thresholds, int minLayers)
{
    /// <summary>Sampler comparisons: (sampler, steps, images), the paper's DDPM setting on a smaller sample.</summary>
    public IReadOnlyList<(SamplerKind Sampler, int Steps, int Samples)> SamplerComparisons { get; } =
    [
        (SamplerKind.Ddpm, options.DdpmSteps, options.ResolvedDdpmSamples),
        (SamplerKind.Ddim, options.DdimSteps, options.Samples),
        (SamplerKind.DpmSolverPP2M, options.DpmSolverSteps, options.Samples),
    ];

    /// <summary>Static runs assumed before the adaptive points fix them (two depths per threshold, at most depth − 1).</summary>
    public int EstimatedStaticRuns => options.StaticTruncation ? Math.Min(manifest.Depth - 1, Math.Min(4, 2 * thresholds.Count)) : 0;

    /// <summary>Configurations expected (for the progress line).</summary>
    public int EstimatedRuns =>
        1 + (thresholds.Count * (options.PerBatch ? 2 : 1)) + EstimatedStaticRuns + (options.TimestepSchedule ? 1 : 0)
        + (options.StepComparison ? 2 * SamplerComparisons.Count(IsExtra) : 0)
        + (options.BaselineModel is null ? 0 : 1 + thresholds.Count)
        + (options.UnconditionalSamples > 0 ? 2 : 0)
        + (HasTargetRuns ? 2 : 0);

    /// <summary>Whether the targets need their own two runs (a sample size other than the sweep's).</summary>
    public bool HasTargetRuns => options.TargetSamples > 0 && options.TargetSamples != options.Samples;

    /// <summary>Image-steps expected (for the ETA).</summary>
    public long EstimatedWork
    {
        get
        {
            long main = (long)options.Samples * options.Steps;
            long work = main * (1 + (thresholds.Count * (options.PerBatch ? 2 : 1)) + EstimatedStaticRuns + (options.TimestepSchedule ? 1 : 0));
            if (options.StepComparison)
            {
                foreach (var c in SamplerComparisons.Where(IsExtra))
                {
                    work += 2L * c.Samples * c.Steps;
                }
            }
            if (options.BaselineModel is not null)
            {
                work += main * (1 + thresholds.Count);
            }
            if (HasTargetRuns)
            {
                work += 2L * options.TargetSamples * options.Steps;
            }
            return work + (2L * options.UnconditionalSamples * options.Steps);
        }
    }

    public static string Tag(float threshold) => threshold.ToString("0.####", CultureInfo.InvariantCulture);

    public ExitPolicySettings AdaptivePolicy(float threshold) => new(ExitMode.Adaptive, threshold, minLayers, 0);

    public GenerationSpec Full(SamplerKind sampler, int steps, int samples, string group = "full", string? package = null) =>
        new($"{Prefix(package)}{Name(sampler, steps)}-n{samples}-full", group, package ?? manifest.Name, sampler, steps, samples, ExitPolicySettings.Full, true, options.GuidanceFor(manifest));

    public GenerationSpec Adaptive(SamplerKind sampler, int steps, int samples, float threshold, bool perBatch, string group = "", string? package = null) =>
        new($"{Prefix(package)}{Name(sampler, steps)}-n{samples}-{(perBatch ? "batch" : "sample")}-t{Tag(threshold)}",
            group.Length > 0 ? group : perBatch ? "per-batch" : "adaptive",
            package ?? manifest.Name, sampler, steps, samples, AdaptivePolicy(threshold), true, options.GuidanceFor(manifest))
        {
            Comparison = perBatch ? new PerBatchExitPolicy(threshold, minLayers) : null,
        };

    public GenerationSpec Static(int depth) =>
        new($"{Name(options.Sampler, options.Steps)}-n{options.Samples}-fixed{depth}", "static", manifest.Name, options.Sampler, options.Steps, options.Samples,
            new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, depth), true, options.GuidanceFor(manifest));

    /// <summary>Every image at step k exits at <paramref name="depths"/>[k], derived from the per-sample run at <paramref name="threshold"/>.</summary>
    public GenerationSpec Schedule(IReadOnlyList<int> depths, float threshold) =>
        new($"{Name(options.Sampler, options.Steps)}-n{options.Samples}-schedule-t{Tag(threshold)}", "schedule", manifest.Name, options.Sampler, options.Steps, options.Samples,
            DepthScheduleExitPolicy.Settings, true, options.GuidanceFor(manifest))
        {
            Comparison = new DepthScheduleExitPolicy(depths),
        };

    public GenerationSpec Unconditional(ExitPolicySettings exit, string id) =>
        new($"{Name(options.Sampler, options.Steps)}-{id}", "unconditional", manifest.Name, options.Sampler, options.Steps, options.UnconditionalSamples, exit, false, 1f);

    public static string Name(SamplerKind sampler, int steps) => sampler switch
    {
        SamplerKind.Ddpm => $"ddpm{steps}",
        SamplerKind.Ddim => $"ddim{steps}",
        _ => $"dpmpp{steps}",
    };

    private bool IsExtra((SamplerKind Sampler, int Steps, int Samples) c) =>
        !(c.Sampler == options.Sampler && c.Steps == options.Steps && c.Samples == options.Samples);

    private static string Prefix(string? package) => package is null ? "" : "baseline-";
}
