using System.Globalization;
using AdaDiff.Engine;

namespace AdaDiff.Evaluation.Reporting;

/// <summary>How the report prints numbers, samplers, policies and backends (invariant culture, "—" for no value).</summary>
internal static class ReportFormat
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Num(double? value, string format) => value is double v && double.IsFinite(v) ? v.ToString(format, Inv) : "—";

    public static string Pct(double? value) => value is double v ? v.ToString("P1", Inv) : "—";

    public static string SamplerName(SamplerKind sampler) => sampler switch
    {
        SamplerKind.Ddpm => "DDPM",
        SamplerKind.Ddim => "DDIM",
        _ => "DPM-Solver++(2M)",
    };

    public static string BackendName(string backend) => backend == EvalOptions.BackendOnnx ? "ONNX Runtime" : "TorchSharp";

    public static string Policy(RunRecord r) => r.Mode switch
    {
        ExitMode.FullDepth => "full depth",
        ExitMode.FixedDepth when r.DepthSchedule is not null => "timestep schedule",
        ExitMode.FixedDepth => string.Create(Inv, $"fixed depth {r.FixedDepth}"),
        _ => string.Create(Inv, $"{(r.PerBatchDecision ? "per-batch" : "per-sample")} t={r.Threshold:0.####}"),
    };

    /// <summary>The real-vs-real floor measured at <paramref name="samples"/> images, or null.</summary>
    public static double? FloorAt(EvalReport report, int samples) => report.Floors.FirstOrDefault(f => f.Samples == samples)?.Fid;
}
