using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Evaluation.Internal;

/// <summary>The thresholds swept on one package and the certainty probe that chose them.</summary>
/// <param name="Probe">The package's certainty on noised test images.</param>
/// <param name="Choices">The automatic thresholds (empty when <c>--thresholds</c> gave them).</param>
/// <param name="Thresholds">Every threshold swept, ascending, without repeats.</param>
internal sealed record ThresholdSweep(CertaintyProbe Probe, List<ThresholdChoice> Choices, float[] Thresholds)
{
    /// <summary>The probe as the report records it.</summary>
    public ProbeRecord Record => new(Probe.Rows, Probe.MeanPerLayer(), Choices);

    /// <summary>
    /// The thresholds swept on one package: <c>--thresholds</c> as given, or (auto) the ones its own certainty probe
    /// says save each of <c>--auto-targets</c>, plus the package's default threshold; <c>--threshold</c> is added.
    /// </summary>
    public static ThresholdSweep Choose(IDenoiserBackend backend, FashionMnist test, EvalOptions options, int minLayers, TextWriter log)
    {
        log.WriteLine($"[eval] certainty probe of {backend.Manifest.Name} on {options.ProbeRows} noised test images");
        CertaintyProbe probe = CertaintyProbe.Run(backend, test, options.ProbeRows, (int)(options.Seed % int.MaxValue));
        var choices = new List<ThresholdChoice>();
        float[] thresholds;
        if (options.Thresholds is null)
        {
            foreach (float target in options.AutoTargets)
            {
                float t = probe.ThresholdFor(backend.Manifest.Depth * (1.0 - target), minLayers);
                choices.Add(new ThresholdChoice(target, t, probe.MeanExit(t, minLayers)));
            }
            thresholds = [.. choices.Select(c => c.Threshold).Append(backend.Manifest.DefaultThreshold)];
        }
        else
        {
            thresholds = [.. options.Thresholds];
        }
        if (options.Threshold is float given)
        {
            thresholds = [.. thresholds, given];
        }
        return new ThresholdSweep(probe, choices, [.. thresholds.Distinct().Order()]);
    }
}
