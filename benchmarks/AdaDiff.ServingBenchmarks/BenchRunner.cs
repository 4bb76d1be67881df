using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using AdaDiff.Engine;
using AdaDiff.ServingBenchmarks.Runner;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// Runs a benchmark: the PyTorch check first (nothing else running), then a runner process per backend (the
/// in-process path, each backend alone in a process of its own), a server per backend, a warm-up, and the rounds, each running every configuration once in <see cref="BenchPlan.Order"/> and
/// ending with the peak probe and the denoiser passes. Progress goes to <c>log</c> (stderr); the servers are stopped
/// on every way out, a kill included.
/// </summary>
public static class BenchRunner
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<BenchResult> RunAsync(BenchOptions options, string root, string command, TextWriter log, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var clock = Stopwatch.StartNew();
        DateTimeOffset startedAt = DateTimeOffset.UtcNow;
        (string package, string serverDll) = Locate(options, root);
        ModelManifest manifest = ModelManifest.Load(Path.Combine(package, "model.json"));
        BenchSettings settings = Settings(options, manifest, serverDll);
        IReadOnlyList<BenchConfig> configs = BenchPlan.Configs(options);
        double estimate = Announce(configs, settings, log);
        (PyTorchRunner? pytorch, PyTorchSetup pytorchSetup) = await PyTorchAsync(configs, options, root, settings.Threads, log, cancel);

        await using var rig = new BenchRig();
        await rig.StartRunnersAsync(options.Backends, package, settings.Threads, log, cancel);
        if (settings.MaxBatchRows == 0 || settings.MaxActiveJobs == 0)
        {
            settings = await DeriveLimitsAsync(settings, rig.Runners[options.Backends[0]], log, cancel);
        }
        await rig.StartServersAsync(serverDll, options.Backends, ServerFlags(settings, package, options.ServerArgs), clock, log, cancel);
        await rig.StartInProcessAsync(settings, cancel);
        await WarmUpAsync(configs, settings, rig, manifest.ImageSize, log, cancel);

        var rounds = new RoundRunner(rig, pytorch, settings, options, manifest.ImageSize, clock, log);
        (List<Measurement> measurements, List<ProbeMeasurement> probes) = await rounds.RunAsync(configs, cancel);
        List<string> notes = Notes(measurements);
        await rig.StopServersAsync();
        return new BenchResult
        {
            Command = command,
            StartedAt = startedAt,
            TotalSeconds = clock.Elapsed.TotalSeconds,
            EstimatedSeconds = estimate,
            Machine = Machine(),
            Settings = settings,
            PyTorch = pytorchSetup,
            Configs = configs,
            Measurements = measurements,
            Probes = probes,
            ServerArgs = options.ServerArgs,
            Notes = notes,
        };
    }

    /// <summary>The package folder and the server's dll, rooted at <paramref name="root"/>; throws when either is missing.</summary>
    private static (string Package, string ServerDll) Locate(BenchOptions options, string root)
    {
        string package = Path.GetFullPath(Path.Combine(root, options.Package));
        string serverDll = Path.GetFullPath(Path.Combine(root, options.ServerDll));
        if (!File.Exists(Path.Combine(package, "model.json")))
        {
            throw new FileNotFoundException($"{Path.Combine(package, "model.json")} not found (--package)");
        }
        if (!File.Exists(serverDll))
        {
            throw new FileNotFoundException($"{serverDll} not found; build it first (dotnet build server/AdaDiff.Server -c Release) or pass --server-dll");
        }
        return (package, serverDll);
    }

    /// <summary>
    /// The run's settings: the model's, the options', and the limits the options leave open from the built server's
    /// appsettings.json (0 where it derives them from the device: <see cref="DeriveLimits"/> fills them in).
    /// </summary>
    private static BenchSettings Settings(BenchOptions options, ModelManifest manifest, string serverDll)
    {
        (int? activeDefault, int? rowsDefault, int? queuedDefault) = ServerLauncher.ReadLimits(serverDll);
        return new BenchSettings
        {
            Model = manifest.Name,
            WeightsSha256 = manifest.Weights.Sha256 ?? "",
            Depth = manifest.Depth,
            Steps = options.Steps,
            ClassLabel = options.ClassLabel,
            Guidance = options.Guidance,
            Threshold = manifest.DefaultThreshold,
            MinLayers = manifest.DefaultMinLayers,
            Threads = options.EffectiveThreads,
            // 0 (the server's default): derived from the device once the in-process backends are loaded.
            MaxActiveJobs = options.MaxActiveJobs ?? activeDefault ?? 0,
            MaxBatchRows = options.MaxBatchRows ?? rowsDefault ?? 0,
            LimitsSource = options.MaxBatchRows is not null ? "--max-batch-rows" : rowsDefault > 0 ? "the server's appsettings.json" : "derived",
            MaxQueuedJobs = options.MaxQueuedJobs ?? queuedDefault ?? 64,
            MaxUnreadEvents = options.MaxUnreadEvents,
            PassRows = options.PassRows,
            FlopsPerRow = manifest.Flops.FullForward,
            MatmulSize = options.MatmulSize,
            Concurrency = options.EffectiveConcurrency,
            Rounds = options.EffectiveRounds,
            Quick = options.Quick,
        };
    }

    /// <summary>Says what will run and how long it should take (and that the figures will be noise on a busy machine); returns the estimate in seconds.</summary>
    private static double Announce(IReadOnlyList<BenchConfig> configs, BenchSettings settings, TextWriter log)
    {
        double estimate = BenchPlan.EstimateSeconds(configs, settings.Rounds, settings.Steps);
        log.WriteLine(string.Create(Inv,
            $"bench: {configs.Count} configurations × {settings.Rounds} round{(settings.Rounds == 1 ? "" : "s")} ({configs.Sum(c => c.Images) * settings.Rounds} images); estimated {estimate / 60:F1} min on an idle {Environment.ProcessorCount}-core machine"));
        if (LoadAverage() is var load && load > Environment.ProcessorCount)
        {
            log.WriteLine(string.Create(Inv,
                $"bench: warning: the 1-minute load average is {load:F1} on {Environment.ProcessorCount} cores: other work is running, so the run will take longer and its figures will be noise (OpenMP's threads in TorchSharp and PyTorch suffer most)"));
        }
        return estimate;
    }

    /// <summary>The PyTorch runner when a configuration needs it (its fair configuration checked first, with nothing else running), and its setup.</summary>
    private static async Task<(PyTorchRunner? Runner, PyTorchSetup Setup)> PyTorchAsync(
        IReadOnlyList<BenchConfig> configs, BenchOptions options, string root, int threads, TextWriter log, CancellationToken cancel)
    {
        if (!configs.Any(c => c.Path == BenchPath.PyTorch))
        {
            return (null, new PyTorchSetup { Fair = false, Reason = "not run (--pytorch none)" });
        }
        PyTorchRunner pytorch = await PyTorchRunner.CreateAsync(root, options.PyTorch, options.Package, threads, log, cancel);
        log.WriteLine($"bench: PyTorch runs {(pytorch.Setup.Fair ? "in the fair configuration" : "in the DEFAULT configuration")}");
        return (pytorch, pytorch.Setup);
    }

    /// <summary>The servers' command-line flags: the run's limits, the package, and the options' own server flags last.</summary>
    private static string[] ServerFlags(BenchSettings settings, string package, IReadOnlyList<string> serverArgs) =>
    [
        $"--AdaDiff:Threads={settings.Threads}",
        $"--AdaDiff:MaxActiveJobs={settings.MaxActiveJobs}",
        $"--AdaDiff:MaxBatchRows={settings.MaxBatchRows}",
        $"--AdaDiff:MaxQueuedJobs={settings.MaxQueuedJobs}",
        $"--AdaDiff:MaxUnreadEventsPerStream={settings.MaxUnreadEvents}",
        $"--AdaDiff:ModelRepository={Path.GetDirectoryName(package)}",
        $"--AdaDiff:DefaultModel={Path.GetFileName(package)}",
        .. serverArgs,
    ];

    /// <summary>The report's notes on the run itself: a busy machine, failed calls.</summary>
    private static List<string> Notes(List<Measurement> measurements)
    {
        var notes = new List<string>();
        double maxLoad = measurements.Select(m => m.LoadAverage).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        if (maxLoad > Environment.ProcessorCount)
        {
            notes.Add(string.Create(Inv,
                $"The machine was busy with other work during this run (1-minute load average up to {maxLoad:F1} on {Environment.ProcessorCount} cores): absolute figures are low and noisy, PyTorch's OpenMP threads suffer most from sharing the cores."));
        }
        if (measurements.Any(m => m.Errors > 0))
        {
            notes.Add("Some calls failed (column errors; the JSON has the first error of each): their configurations' figures leave those rounds out.");
        }
        return notes;
    }

    /// <summary>
    /// The server's own rule for limits left at 0 (BatchSizing on the device: rows per pass at the throughput knee, as
    /// many active generations as rows), applied once in <paramref name="runner"/>'s process, so that both servers and
    /// both in-process schedulers run with the same limits and the serving overhead compares like with like.
    /// </summary>
    private static async Task<BenchSettings> DeriveLimitsAsync(BenchSettings settings, RunnerProcess runner, TextWriter log, CancellationToken cancel)
    {
        int minRows = 16 * 2; // the server's default MaxImagesPerRequest (16) of guided images
        int maxRows = 1024;
        RunnerReply reply = await runner.RequestAsync(new RunnerRequest { Op = RunnerOp.Limits, Rows = minRows, Count = maxRows }, cancel);
        DerivedLimits derived = reply.Limits ?? throw new InvalidOperationException($"the {runner.Backend} runner's limits reply was empty");
        int rows = settings.MaxBatchRows > 0 ? settings.MaxBatchRows : derived.MaxBatchRows;
        int active = settings.MaxActiveJobs > 0 ? settings.MaxActiveJobs : rows;
        log.WriteLine($"bench: limits derived on {runner.Backend}: {derived.Timings} → {rows} rows per pass, {active} active generations");
        return settings with { MaxBatchRows = rows, MaxActiveJobs = active, LimitsSource = $"derived on {runner.Backend} as the server derives them (throughput knee {derived.KneeRows} rows)" };
    }

    /// <summary>
    /// Before the rounds, every server and in-process backend in both modes (and the previews configuration) runs one
    /// call per stream at each concurrency of the run, capped at MaxActiveJobs + 2: the thread pool, HTTP/2 windows and
    /// the backends' allocators reach their working size, and the batch shapes the rounds will run have each been run
    /// once (a first pass at a new shape took up to 0.8 s here) before anything is measured.
    /// </summary>
    private static async Task WarmUpAsync(IReadOnlyList<BenchConfig> configs, BenchSettings settings, BenchRig rig, int imageSize, TextWriter log, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        int[] levels = [.. settings.Concurrency.Select(c => Math.Min(c, settings.MaxActiveJobs + 2)).Distinct().Order()];
        foreach (BenchConfig c in configs.Where(c => c.Path != BenchPath.PyTorch).DistinctBy(c => (c.Path, c.Backend, c.Mode, c.Previews)))
        {
            foreach (int streams in levels)
            {
                BenchConfig warm = c with { Streams = streams, CallsPerStream = 1 };
                Measurement m = await RoundRunner.MeasureServedAsync(rig, warm, settings, imageSize, -1, 999_999_000, cancel);
                if (m.Errors > 0)
                {
                    throw new InvalidOperationException($"the warm-up of {warm.Key} failed: {m.FirstError}");
                }
            }
        }
        log.WriteLine(string.Create(Inv, $"bench: warmed up in {clock.Elapsed.TotalSeconds:F0} s"));
    }

    internal static string Progress(int round, int rounds, int index, int count, Measurement m)
    {
        string errors = m.Errors > 0 ? $"; {m.Errors} ERRORS, first: {m.FirstError}" : "";
        string latency = double.IsFinite(m.LatencyP50)
            ? string.Create(Inv, $", latency p50 {m.LatencyP50:F2} s p99 {m.LatencyP99:F2} s, TTFS p50 {m.FirstStepP50 * 1000:F0} ms p99 {m.FirstStepP99 * 1000:F0} ms")
            : "";
        return string.Create(Inv,
            $"[round {round + 1}/{rounds} {index + 1,2}/{count}] {m.Config,-44} {m.ImagesPerSecond,6:F2} images/s{latency}, depth {m.MeanExitLayer:F2} ({m.WallSeconds:F1} s, load {m.LoadAverage:F1}){errors}");
    }

    /// <summary>The 1-minute load average (NaN where /proc/loadavg cannot be read).</summary>
    internal static double LoadAverage()
    {
        try
        {
            string text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], Inv);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }

    private static string Machine()
    {
        string cpu = "";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "";
        }
        catch (IOException)
        {
            // not Linux
        }
        return $"{Environment.ProcessorCount} logical CPUs{(cpu.Length > 0 ? " (" + cpu + ")" : "")}, {RuntimeInformation.OSDescription}";
    }
}
