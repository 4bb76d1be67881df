using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Engine;
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
        return FromProbe(probe, backend.Manifest, options.Thresholds, options.AutoTargets, options.Threshold, minLayers);
    }

    /// <summary>
    /// The thresholds swept given a probe: <paramref name="thresholds"/> when given, else those the probe says save each
    /// of <paramref name="autoTargets"/> plus the manifest's default threshold; <paramref name="given"/> is added.
    /// </summary>
    public static ThresholdSweep FromProbe(CertaintyProbe probe, ModelManifest manifest, IReadOnlyList<float>? thresholds, IReadOnlyList<float> autoTargets, float? given, int minLayers)
    {
        var choices = new List<ThresholdChoice>();
        float[] swept;
        if (thresholds is null)
        {
            foreach (float target in autoTargets)
            {
                float t = probe.ThresholdFor(manifest.Depth * (1.0 - target), minLayers);
                choices.Add(new ThresholdChoice(target, t, probe.MeanExit(t, minLayers)));
            }
            swept = [.. choices.Select(c => c.Threshold).Append(manifest.DefaultThreshold)];
        }
        else
        {
            swept = [.. thresholds];
        }
        if (given is float g)
        {
            swept = [.. swept, g];
        }
        return new ThresholdSweep(probe, choices, [.. swept.Distinct().Order()]);
    }
}
