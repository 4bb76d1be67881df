namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// One configuration's figures over the rounds. CPU per image in seconds: <see cref="ServerCpuPerImage"/> of the
/// process doing the generation work (the server, or the backend's runner in-process), <see cref="ClientCpuPerImage"/>
/// of the benchmark's client (server path); <see cref="MachineBusyCores"/> the machine's busy CPU seconds per second
/// of wall time (2 on a saturated 2-core machine).
/// </summary>
public sealed record ConfigSummary(
    BenchConfig Config,
    Spread ImagesPerSecond,
    Spread LatencyP50,
    Spread LatencyP99,
    Spread FirstStepP50,
    Spread FirstStepP99,
    Spread StepSeconds,
    Spread MeanExitLayer,
    int Errors,
    Spread ServerCpuPerImage,
    Spread ClientCpuPerImage,
    Spread MachineBusyCores);

/// <summary>
/// The figures a run's raw rounds give: each configuration's median and range, and every ratio taken within each
/// round first (its two sides measured in the same minute) and then summarised over the rounds.
/// </summary>
public sealed class Analysis
{
    private readonly Dictionary<(string Config, int Round), Measurement> byKey = [];
    private readonly int[] rounds;

    public Analysis(BenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Result = result;
        foreach (Measurement m in result.Measurements)
        {
            byKey[(m.Config, m.Round)] = m;
        }
        rounds = [.. result.Measurements.Select(m => m.Round).Concat(result.Probes.Select(p => p.Round)).Distinct().Order()];
        Configs = [.. result.Configs.Select(Summarise)];
    }

    public BenchResult Result { get; }

    public IReadOnlyList<ConfigSummary> Configs { get; }

    public ConfigSummary? Summary(string key) => Configs.FirstOrDefault(c => c.Config.Key == key);

    /// <summary>The value of <paramref name="metric"/> for a configuration in a round; NaN when missing or failed.</summary>
    public double Value(string key, int round, Func<Measurement, double> metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return byKey.TryGetValue((key, round), out Measurement? m) && m.Errors == 0 ? metric(m) : double.NaN;
    }

    public double Ips(string key, int round) => Value(key, round, m => m.ImagesPerSecond);

    /// <summary><paramref name="perRound"/> in every round, NaN rounds left out.</summary>
    public Spread PerRound(Func<int, double> perRound)
    {
        ArgumentNullException.ThrowIfNull(perRound);
        return Spread.Of([.. rounds.Select(perRound).Where(double.IsFinite)]);
    }

    /// <summary>Serving overhead: 1 − server images/s over in-process images/s for the same work.</summary>
    public Spread Overhead(string backend, string mode, int streams) => PerRound(r =>
        1 - Ips(BenchConfig.KeyOf(BenchPath.Server, backend, mode, streams), r) / Ips(BenchConfig.KeyOf(BenchPath.InProcess, backend, mode, streams), r));

    /// <summary>In-process images/s of <paramref name="backend"/> at <paramref name="batch"/> streams over PyTorch's at batch <paramref name="batch"/>, modes as given.</summary>
    public Spread VsPyTorch(string backend, string mode, string pytorchMode, int batch) => PerRound(r =>
        Ips(BenchConfig.KeyOf(BenchPath.InProcess, backend, mode, batch), r) / Ips(BenchConfig.KeyOf(BenchPath.PyTorch, "pytorch", pytorchMode, batch), r));

    /// <summary>Images/s at <paramref name="to"/> streams over images/s at <paramref name="from"/>.</summary>
    public Spread Scaling(BenchPath path, string backend, string mode, int from, int to) => PerRound(r =>
        Ips(BenchConfig.KeyOf(path, backend, mode, to), r) / Ips(BenchConfig.KeyOf(path, backend, mode, from), r));

    /// <summary>Adaptive images/s over full-depth images/s at the same streams.</summary>
    public Spread AdaptiveOverFull(BenchPath path, string backend, int streams) => PerRound(r =>
        Ips(BenchConfig.KeyOf(path, backend, "adaptive", streams), r) / Ips(BenchConfig.KeyOf(path, backend, "full", streams), r));

    /// <summary>p99 time to first step in step times (the median interval between steps under the same load).</summary>
    public Spread FirstStepInSteps(BenchPath path, string backend, string mode, int streams)
    {
        string key = BenchConfig.KeyOf(path, backend, mode, streams);
        return PerRound(r => Value(key, r, m => m.FirstStepP99 / m.StepSeconds));
    }

    /// <summary>Throughput lost to PNG previews every step: 1 − images/s with previews over images/s without.</summary>
    public Spread PreviewCost(string backend, int streams) => PerRound(r =>
        1 - Ips(BenchConfig.KeyOf(BenchPath.Server, backend, "adaptive", streams, previews: true), r) / Ips(BenchConfig.KeyOf(BenchPath.Server, backend, "adaptive", streams), r));

    /// <summary>p50 latency with previews over p50 latency without.</summary>
    public Spread PreviewLatencyRatio(string backend, int streams) => PerRound(r =>
        Value(BenchConfig.KeyOf(BenchPath.Server, backend, "adaptive", streams, previews: true), r, m => m.LatencyP50)
        / Value(BenchConfig.KeyOf(BenchPath.Server, backend, "adaptive", streams), r, m => m.LatencyP50));

    /// <summary>The denoiser's GFLOP/s at the pass rows over the round's matmul peak.</summary>
    public Spread ShareOfPeak(string backend) => PerRound(r =>
    {
        ProbeMeasurement? p = Result.Probes.FirstOrDefault(x => x.Round == r);
        return p is not null && p.PassGflops.TryGetValue(backend, out double g) ? g / p.MatmulPeakGflops : double.NaN;
    });

    public Spread MatmulPeak => Spread.Of([.. Result.Probes.Select(p => p.MatmulPeakGflops)]);

    public Spread PassGflops(string backend) =>
        Spread.Of([.. Result.Probes.Where(p => p.PassGflops.ContainsKey(backend)).Select(p => p.PassGflops[backend])]);

    public Spread PassMilliseconds(string backend) =>
        Spread.Of([.. Result.Probes.Where(p => p.PassSeconds.ContainsKey(backend)).Select(p => p.PassSeconds[backend] * 1000)]);

    private ConfigSummary Summarise(BenchConfig config)
    {
        List<Measurement> ms = [.. Result.Measurements.Where(m => m.Config == config.Key)];
        List<Measurement> ok = [.. ms.Where(m => m.Errors == 0)];
        Spread Of(Func<Measurement, double> f) => Spread.Of([.. ok.Select(f).Where(double.IsFinite)]);
        return new ConfigSummary(config, Of(m => m.ImagesPerSecond), Of(m => m.LatencyP50), Of(m => m.LatencyP99),
            Of(m => m.FirstStepP50), Of(m => m.FirstStepP99), Of(m => m.StepSeconds), Of(m => m.MeanExitLayer), ms.Sum(m => m.Errors),
            Of(m => m.ServerCpuSeconds / m.Images), Of(m => m.ClientCpuSeconds / m.Images), Of(m => m.MachineCpuSeconds / m.WallSeconds));
    }
}
