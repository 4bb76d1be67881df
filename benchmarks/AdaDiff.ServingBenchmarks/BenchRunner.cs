using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Benchmarks.Shared;
using AdaDiff.Client;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Scheduling;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// Runs a benchmark: the PyTorch check first (nothing else running), then a server per backend and the same backends
/// in-process, a warm-up, and the rounds, each running every configuration once in <see cref="BenchPlan.Order"/> and
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
        ModelManifest manifest = ModelManifest.Load(Path.Combine(package, "model.json"));
        (int? activeDefault, int? rowsDefault, int? queuedDefault) = ServerLauncher.ReadLimits(serverDll);
        var settings = new BenchSettings
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
            // 0 (the server's default): derived from the device, below, once the in-process backends are loaded.
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
        IReadOnlyList<BenchConfig> configs = BenchPlan.Configs(options);
        double estimate = BenchPlan.EstimateSeconds(configs, settings.Rounds, settings.Steps);
        log.WriteLine(string.Create(Inv,
            $"bench: {configs.Count} configurations × {settings.Rounds} round{(settings.Rounds == 1 ? "" : "s")} ({configs.Sum(c => c.Images) * settings.Rounds} images); estimated {estimate / 60:F1} min on an idle {Environment.ProcessorCount}-core machine"));
        if (LoadAverage() is var load && load > Environment.ProcessorCount)
        {
            log.WriteLine(string.Create(Inv,
                $"bench: warning: the 1-minute load average is {load:F1} on {Environment.ProcessorCount} cores: other work is running, so the run will take longer and its figures will be noise (OpenMP's threads in TorchSharp and PyTorch suffer most)"));
        }

        PyTorchRunner? pytorch = null;
        PyTorchSetup pytorchSetup = new() { Fair = false, Reason = "not run (--pytorch none)" };
        if (configs.Any(c => c.Path == BenchPath.PyTorch))
        {
            pytorch = await PyTorchRunner.CreateAsync(root, options.PyTorch, options.Package, settings.Threads, log, cancel);
            pytorchSetup = pytorch.Setup;
            log.WriteLine($"bench: PyTorch runs {(pytorchSetup.Fair ? "in the fair configuration" : "in the DEFAULT configuration")}");
        }

        var servers = new Dictionary<string, LoopbackServer>(StringComparer.Ordinal);
        var clients = new Dictionary<string, AdaDiffClient>(StringComparer.Ordinal);
        var backends = new Dictionary<string, IDenoiserBackend>(StringComparer.Ordinal);
        var inProcess = new Dictionary<string, InProcessRunner>(StringComparer.Ordinal);
        log.WriteLine("bench: loading the backends in-process");
        foreach (string backend in options.Backends)
        {
            backends[backend] = backend == "torchsharp"
                ? TorchSharpBackend.Load(package, new TorchSharpBackendOptions { Threads = settings.Threads })
                : OnnxBackend.Load(package, new OnnxBackendOptions { Threads = settings.Threads });
        }
        if (settings.MaxBatchRows == 0 || settings.MaxActiveJobs == 0)
        {
            settings = DeriveLimits(settings, backends[options.Backends[0]], options.Backends[0], log);
        }

        string[] flags =
        [
            $"--AdaDiff:Threads={settings.Threads}",
            $"--AdaDiff:MaxActiveJobs={settings.MaxActiveJobs}",
            $"--AdaDiff:MaxBatchRows={settings.MaxBatchRows}",
            $"--AdaDiff:MaxQueuedJobs={settings.MaxQueuedJobs}",
            $"--AdaDiff:MaxUnreadEventsPerStream={settings.MaxUnreadEvents}",
            $"--AdaDiff:ModelRepository={Path.GetDirectoryName(package)}",
            $"--AdaDiff:DefaultModel={Path.GetFileName(package)}",
            .. options.ServerArgs,
        ];
        void KillServers(object? sender, EventArgs e)
        {
            foreach (LoopbackServer s in servers.Values)
            {
                s.Kill();
            }
        }
        AppDomain.CurrentDomain.ProcessExit += KillServers;
        PeakProbe? probe = null;
        try
        {
            foreach (string backend in options.Backends)
            {
                LoopbackServer server = ServerLauncher.Start(serverDll, backend, flags);
                servers[backend] = server;
                log.WriteLine($"bench: {backend} server: pid {server.ProcessId}, gRPC {server.GrpcAddress}; waiting for /readyz");
            }
            foreach ((string backend, LoopbackServer server) in servers)
            {
                await server.WaitReadyAsync(TimeSpan.FromMinutes(4), cancel);
                clients[backend] = new AdaDiffClient(new AdaDiffClientOptions { Address = server.GrpcAddress, MaxAttempts = 1 });
            }
            log.WriteLine($"bench: servers ready after {clock.Elapsed.TotalSeconds:F0} s");
            foreach (string backend in options.Backends)
            {
                inProcess[backend] = new InProcessRunner(backends[backend], settings);
            }
            probe = new PeakProbe(settings.MatmulSize, settings.Threads);

            await WarmUpAsync(configs, settings, clients, inProcess, manifest.ImageSize, log, cancel);

            var measurements = new List<Measurement>();
            var probes = new List<ProbeMeasurement>();
            double roundsStarted = clock.Elapsed.TotalSeconds;
            for (int round = 0; round < settings.Rounds; round++)
            {
                ulong seedBase = 1 + (ulong)round * 100_000; // the same seeds on every path of a round: the same exits, the same work
                IReadOnlyList<BenchConfig> order = BenchPlan.Order(configs, round);
                for (int i = 0; i < order.Count; i++)
                {
                    BenchConfig config = order[i];
                    Measurement m = config.Path switch
                    {
                        BenchPath.Server => await LoadGenerator.RunAsync(clients[config.Backend], config, settings, manifest.ImageSize, round, seedBase, LoadAverage, cancel),
                        BenchPath.InProcess => await inProcess[config.Backend].RunAsync(config, settings, round, seedBase, LoadAverage, cancel),
                        _ => await pytorch!.RunAsync(config, settings, options.Package, round, seedBase, LoadAverage, cancel),
                    };
                    measurements.Add(m);
                    foreach (LoopbackServer server in servers.Values)
                    {
                        server.EnsureRunning("during the benchmark");
                    }
                    log.WriteLine(Progress(round, settings.Rounds, i, order.Count, m));
                }
                probes.Add(await ProbeAsync(probe, backends, settings, round, options.Quick, log, cancel));
                double perRound = (clock.Elapsed.TotalSeconds - roundsStarted) / (round + 1);
                log.WriteLine(string.Create(Inv,
                    $"bench: round {round + 1}/{settings.Rounds} done at {clock.Elapsed.TotalMinutes:F1} min; {perRound:F0} s a round, about {perRound * (settings.Rounds - round - 1) / 60:F1} min left"));
            }

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
            foreach (LoopbackServer server in servers.Values)
            {
                await server.StopAsync(TimeSpan.FromSeconds(15));
            }
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
        finally
        {
            foreach (AdaDiffClient client in clients.Values)
            {
                client.Dispose();
            }
            foreach (LoopbackServer server in servers.Values)
            {
                await server.DisposeAsync();
            }
            AppDomain.CurrentDomain.ProcessExit -= KillServers;
            foreach (InProcessRunner runner in inProcess.Values)
            {
                await runner.DisposeAsync();
            }
            probe?.Dispose();
            foreach (IDenoiserBackend backend in backends.Values)
            {
                backend.Dispose();
            }
        }
    }

    /// <summary>
    /// The server's own rule for limits left at 0 (BatchSizing on the device: rows per pass at the throughput knee, as
    /// many active generations as rows), applied once on <paramref name="backendName"/> in-process, so that both
    /// servers and both in-process schedulers run with the same limits and the serving overhead compares like with like.
    /// </summary>
    private static BenchSettings DeriveLimits(BenchSettings settings, IDenoiserBackend backend, string backendName, TextWriter log)
    {
        int minRows = 16 * 2; // the server's default MaxImagesPerRequest (16) of guided images
        int maxRows = 1024;
        IReadOnlyList<PassTiming> timings = BatchSizing.Measure(backend, maxRows);
        BatchLimits derived = BatchSizing.Choose(timings, minRows, maxRows);
        int rows = settings.MaxBatchRows > 0 ? settings.MaxBatchRows : derived.MaxBatchRows;
        int active = settings.MaxActiveJobs > 0 ? settings.MaxActiveJobs : rows;
        log.WriteLine($"bench: limits derived on {backendName}: {BatchSizing.Describe(timings)} → {rows} rows per pass, {active} active generations");
        return settings with { MaxBatchRows = rows, MaxActiveJobs = active, LimitsSource = $"derived on {backendName} as the server derives them (throughput knee {derived.KneeRows} rows)" };
    }

    /// <summary>
    /// Before the rounds, every server and in-process backend in both modes (and the previews configuration) runs one
    /// call per stream at each concurrency of the run, capped at MaxActiveJobs + 2: the thread pool, HTTP/2 windows and
    /// the backends' allocators reach their working size, and the batch shapes the rounds will run have each been run
    /// once (a first pass at a new shape took up to 0.8 s here) before anything is measured.
    /// </summary>
    private static async Task WarmUpAsync(IReadOnlyList<BenchConfig> configs, BenchSettings settings, Dictionary<string, AdaDiffClient> clients,
        Dictionary<string, InProcessRunner> inProcess, int imageSize, TextWriter log, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        int[] levels = [.. settings.Concurrency.Select(c => Math.Min(c, settings.MaxActiveJobs + 2)).Distinct().Order()];
        foreach (BenchConfig c in configs.Where(c => c.Path != BenchPath.PyTorch).DistinctBy(c => (c.Path, c.Backend, c.Mode, c.Previews)))
        {
            foreach (int streams in levels)
            {
                BenchConfig warm = c with { Streams = streams, CallsPerStream = 1 };
                Measurement m = c.Path == BenchPath.Server
                    ? await LoadGenerator.RunAsync(clients[c.Backend], warm, settings, imageSize, -1, 999_999_000, LoadAverage, cancel)
                    : await inProcess[c.Backend].RunAsync(warm, settings, -1, 999_999_000, LoadAverage, cancel);
                if (m.Errors > 0)
                {
                    throw new InvalidOperationException($"the warm-up of {warm.Key} failed: {m.FirstError}");
                }
            }
        }
        log.WriteLine(string.Create(Inv, $"bench: warmed up in {clock.Elapsed.TotalSeconds:F0} s"));
    }

    private static async Task<ProbeMeasurement> ProbeAsync(PeakProbe probe, Dictionary<string, IDenoiserBackend> backends, BenchSettings settings, int round, bool quick, TextWriter log, CancellationToken cancel)
    {
        (double peak, double median) = probe.Measure(quick ? 5 : 20);
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        var gflops = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach ((string name, IDenoiserBackend backend) in backends)
        {
            double s = await PeakProbe.PassSecondsAsync(backend, settings, settings.PassRows, quick ? 1 : 2, cancel);
            seconds[name] = s;
            gflops[name] = settings.PassRows * settings.FlopsPerRow / s / 1e9;
        }
        log.WriteLine(string.Create(Inv,
            $"bench: probe: matmul {settings.MatmulSize}² peak {peak:F0} GFLOP/s (median {median:F0}); {string.Join(", ", gflops.Select(g => $"{g.Key} {settings.PassRows} rows {seconds[g.Key] * 1000:F1} ms/step = {g.Value:F0} GFLOP/s ({g.Value / peak:P0} of peak)"))}"));
        return new ProbeMeasurement { Round = round, MatmulPeakGflops = peak, MatmulMedianGflops = median, PassSeconds = seconds, PassGflops = gflops };
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
