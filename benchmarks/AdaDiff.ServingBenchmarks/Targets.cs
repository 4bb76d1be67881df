using System.Globalization;

namespace AdaDiff.ServingBenchmarks;

/// <summary>Whether a target's median met it.</summary>
public enum TargetStatus
{
    Met,
    Missed,

    /// <summary>The run did not measure both sides (a --quick run's concurrency set, --pytorch none, a failed configuration).</summary>
    NotMeasured,
}

/// <summary>How a figure is written: a ratio (1.84×), a share (4.2 %) or a count of step times (2.1 steps).</summary>
public enum FigureKind
{
    Ratio,
    Share,
    Steps,
}

/// <summary>One target of issue #15 with this run's figure (median over the rounds, min–max).</summary>
public sealed record Target(string Group, string Name, Spread Figure, double Limit, bool AtMost, FigureKind Kind)
{
    public TargetStatus Status => Figure.Count == 0 || !double.IsFinite(Figure.Median)
        ? TargetStatus.NotMeasured
        : (AtMost ? Figure.Median <= Limit : Figure.Median >= Limit) ? TargetStatus.Met : TargetStatus.Missed;

    public string StatusText => Status switch
    {
        TargetStatus.Met => "met",
        TargetStatus.Missed => "MISSED",
        _ => "not measured",
    };

    public string LimitText => (AtMost ? "≤ " : "≥ ") + Format(Limit, Kind);

    public string FigureText => Figure.Count == 0 || !double.IsFinite(Figure.Median)
        ? "—"
        : Figure.Count == 1 || Figure.Min == Figure.Max
            ? Format(Figure.Median, Kind)
            : $"{Format(Figure.Median, Kind)} ({Format(Figure.Min, Kind, unit: false)}–{Format(Figure.Max, Kind)})";

    public static string Format(double value, FigureKind kind, bool unit = true) => kind switch
    {
        FigureKind.Share => string.Create(CultureInfo.InvariantCulture, $"{value * 100:F1}{(unit ? " %" : "")}"),
        FigureKind.Steps => string.Create(CultureInfo.InvariantCulture, $"{value:F1}{(unit ? " steps" : "")}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{value:F2}{(unit ? "×" : "")}"),
    };
}

/// <summary>The targets (benchmark figures, not tests), evaluated on a run.</summary>
public static class Targets
{
    public const string Onnx = "onnxruntime";

    public static IReadOnlyList<Target> Evaluate(Analysis a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var targets = new List<Target>();
        IReadOnlyList<string> backends = [.. a.Result.Configs.Where(c => c.Path == BenchPath.Server).Select(c => c.Backend).Distinct()];
        const string vsPyTorch = "ONNX Runtime in-process against the fair PyTorch baseline";
        foreach (string mode in BenchPlan.Modes)
        {
            targets.Add(new Target(vsPyTorch, $"{mode}, batch 1 (1 stream)", a.VsPyTorch(Onnx, mode, mode, 1), 1.8, false, FigureKind.Ratio));
        }
        foreach (string mode in BenchPlan.Modes)
        {
            targets.Add(new Target(vsPyTorch, $"{mode}, batch 16 (16 streams)", a.VsPyTorch(Onnx, mode, mode, 16), 1.6, false, FigureKind.Ratio));
        }
        foreach (int batch in BenchPlan.PyTorchBatches)
        {
            targets.Add(new Target(vsPyTorch, $"adaptive against PyTorch at full depth, batch {batch}", a.VsPyTorch(Onnx, "adaptive", "full", batch), 3.0, false, FigureKind.Ratio));
        }
        foreach (int streams in new[] { 1, 16 })
        {
            foreach (string backend in backends)
            {
                foreach (string mode in BenchPlan.Modes)
                {
                    targets.Add(new Target("Serving overhead (1 − server / in-process images/s)", $"{backend} {mode}, {streams} stream{(streams == 1 ? "" : "s")}",
                        a.Overhead(backend, mode, streams), 0.05, true, FigureKind.Share));
                }
            }
        }
        foreach (string backend in backends)
        {
            foreach (string mode in BenchPlan.Modes)
            {
                targets.Add(new Target("Server: 16 streams against 1 (images/s)", $"{backend} {mode}", a.Scaling(BenchPath.Server, backend, mode, 1, 16), 2.5, false, FigureKind.Ratio));
            }
        }
        foreach (string backend in backends)
        {
            foreach (int streams in a.Result.Settings.Concurrency)
            {
                targets.Add(new Target("Server: adaptive against full depth (images/s)", $"{backend}, {streams} stream{(streams == 1 ? "" : "s")}",
                    a.AdaptiveOverFull(BenchPath.Server, backend, streams), 1.8, false, FigureKind.Ratio));
            }
        }
        foreach (string backend in backends)
        {
            foreach (string mode in BenchPlan.Modes)
            {
                targets.Add(new Target("Server: time to first step p99 at 16 streams, in step times", $"{backend} {mode}",
                    a.FirstStepInSteps(BenchPath.Server, backend, mode, 16), 3.0, true, FigureKind.Steps));
            }
        }
        foreach (string backend in backends)
        {
            targets.Add(new Target($"Denoiser at {a.Result.Settings.PassRows} rows against the matmul peak", backend, a.ShareOfPeak(backend), 0.6, false, FigureKind.Share));
        }
        return targets;
    }
}
