using System.Diagnostics;
using System.Globalization;
using System.Net;
using AdaDiff.Benchmarks.Shared;
using AdaDiff.Grpc.V1;
using Grpc.Net.Client;

namespace AdaDiff.Soak;

/// <summary>The soak's settings (the command's options).</summary>
public sealed record SoakOptions
{
    public int Streams { get; init; } = 64;

    public double Minutes { get; init; } = 10;

    public double IntervalSeconds { get; init; } = 10;

    /// <summary>Prefix of the reports: <c>&lt;Out&gt;.json</c>, <c>.md</c>, <c>.png</c>.</summary>
    public string Out { get; init; } = "docs/soak";

    public string ServerDll { get; init; } = "server/AdaDiff.Server/bin/Release/net10.0/linux-x64/AdaDiff.Server.dll";

    /// <summary>Where the server listens: loopback only, so 127.0.0.1 is the one accepted value.</summary>
    public string Address { get; init; } = "127.0.0.1";

    /// <summary>Further server flags (<c>--AdaDiff:Backend=torchsharp</c>); none may move its address or ports.</summary>
    public IReadOnlyList<string> ServerArgs { get; init; } = [];

    /// <summary>Base of the streams' seeds (stream i uses Seed + i).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>How long a running call may take, and the streams to finish once the load stops.</summary>
    public TimeSpan CallDeadline { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Settings that cannot run; empty when fine.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Streams is < 1 or > 1024)
        {
            problems.Add($"--streams must be 1..1024; was {Streams}");
        }
        if (!(Minutes > 0) || Minutes > 24 * 60)
        {
            problems.Add($"--minutes must be > 0 (and at most a day); was {Minutes}");
        }
        if (!(IntervalSeconds >= 0.5))
        {
            problems.Add($"--interval must be at least 0.5 s; was {IntervalSeconds}");
        }
        if (Address != "127.0.0.1")
        {
            problems.Add($"--address must be 127.0.0.1: the soak starts its own server on free loopback ports and never listens elsewhere; was {Address}");
        }
        foreach (string arg in ServerArgs)
        {
            if (arg.Contains("BindAddress", StringComparison.OrdinalIgnoreCase) || arg.Contains("GrpcPort", StringComparison.OrdinalIgnoreCase)
                || arg.Contains("HttpPort", StringComparison.OrdinalIgnoreCase) || arg.Contains("urls", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"--server-arg {arg}: the soak chooses the server's address and ports itself (127.0.0.1, free ports)");
            }
        }
        return problems;
    }
}

/// <summary>What one soak measured and decided.</summary>
public sealed record SoakResult
{
    public required SoakOptions Options { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required double LoadSeconds { get; init; }

    public required long Calls { get; init; }

    public required long Errors { get; init; }

    public required long Unexpected { get; init; }

    public required IReadOnlyDictionary<string, long> Outcomes { get; init; }

    public required IReadOnlyList<string> ErrorExamples { get; init; }

    public required IReadOnlyList<Sample> Samples { get; init; }

    public required Verdict Verdict { get; init; }

    public int? ServerExitCode { get; init; }
}

/// <summary>Starts the server, runs the streams, samples, stops, decides.</summary>
public static class SoakRunner
{
    private const int StreamsPerChannel = 50; // under the server's MaxStreamsPerConnection (100)

    public static async Task<SoakResult> RunAsync(SoakOptions options, TextWriter log, CancellationToken cancel = default)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        await using LoopbackServer server = LoopbackServer.Start(options.ServerDll, "the server", options.ServerArgs);
        log.WriteLine(string.Create(inv, $"soak: server pid {server.ProcessId}, gRPC {server.GrpcAddress}, metrics {server.MetricsAddress}; waiting for /readyz"));
        await server.WaitReadyAsync(TimeSpan.FromMinutes(4), cancel);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var tally = new LoadTally();
        var samples = new List<Sample>();
        int channelCount = (options.Streams + StreamsPerChannel - 1) / StreamsPerChannel;
        var channels = Enumerable.Range(0, channelCount)
            .Select(_ => GrpcChannel.ForAddress(server.GrpcAddress, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false } }))
            .ToList();
        try
        {
            TimeSpan load = TimeSpan.FromMinutes(options.Minutes);
            int sampleCount = Math.Max(1, (int)Math.Round(load.TotalSeconds / options.IntervalSeconds));
            log.WriteLine(string.Create(inv, $"soak: {options.Streams} streams for {options.Minutes} min, a sample every {options.IntervalSeconds} s ({sampleCount} samples, warm-up {VerdictRule.WarmupCount(sampleCount)})"));
            DateTimeOffset startedAt = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var streams = Enumerable.Range(0, options.Streams)
                .Select(i => Task.Run(() => LoadStream.RunAsync(
                    new DiffusionService.DiffusionServiceClient(channels[i / StreamsPerChannel]), options.Seed + i, tally, options.CallDeadline, stop.Token), CancellationToken.None))
                .ToList();

            for (int k = 1; k <= sampleCount; k++)
            {
                TimeSpan due = TimeSpan.FromSeconds(k * options.IntervalSeconds);
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed, cancel);
                }
                Sample sample = await SampleAsync(server, http, tally, clock.Elapsed.TotalSeconds, "load", cancel);
                samples.Add(sample);
                log.WriteLine(Progress(sample));
            }
            double loadSeconds = clock.Elapsed.TotalSeconds;

            await stop.CancelAsync();
            log.WriteLine(string.Create(inv, $"soak: load stopped at {loadSeconds:F0} s; letting the streams finish their calls"));
            Task all = Task.WhenAll(streams);
            if (await Task.WhenAny(all, Task.Delay(options.CallDeadline + TimeSpan.FromSeconds(30), cancel)) != all)
            {
                throw new TimeoutException($"the streams had not finished {options.CallDeadline.TotalSeconds + 30} s after the load stopped");
            }
            await all;

            // the gauges fall once the server has finished its bookkeeping; give them a few seconds
            Sample after = await SampleAsync(server, http, tally, clock.Elapsed.TotalSeconds, "after", cancel);
            for (int i = 0; i < 30 && (after.GenerationsActive != 0 || after.QueueDepth != 0); i++)
            {
                await Task.Delay(1000, cancel);
                after = await SampleAsync(server, http, tally, clock.Elapsed.TotalSeconds, "after", cancel);
            }
            samples.Add(after);
            log.WriteLine(Progress(after));

            int? exit = await server.StopAsync(TimeSpan.FromSeconds(40));
            Verdict verdict = VerdictRule.Evaluate(samples, tally.Errors);
            return new SoakResult
            {
                Options = options,
                StartedAt = startedAt,
                LoadSeconds = loadSeconds,
                Calls = tally.Calls,
                Errors = tally.Errors,
                Unexpected = tally.Unexpected,
                Outcomes = tally.Outcomes,
                ErrorExamples = [.. tally.ErrorExamples],
                Samples = samples,
                Verdict = verdict,
                ServerExitCode = exit,
            };
        }
        finally
        {
            foreach (GrpcChannel channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    private static async Task<Sample> SampleAsync(LoopbackServer server, HttpClient http, LoadTally tally, double elapsed, string phase, CancellationToken cancel)
    {
        server.EnsureRunning("during the soak");
        (long rss, int threads, int fds) = ProcResources.Read(server.ProcessId);
        string metrics;
        using (HttpResponseMessage response = await http.GetAsync(server.MetricsAddress, cancel))
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"/metrics answered {(int)response.StatusCode}");
            }
            metrics = await response.Content.ReadAsStringAsync(cancel);
        }
        return new Sample
        {
            ElapsedSeconds = Math.Round(elapsed, 1),
            Phase = phase,
            CallsDone = tally.Calls,
            Errors = tally.Errors,
            RssBytes = rss,
            Threads = threads,
            Fds = fds,
            HeapBytes = Prometheus.Sum(metrics, "dotnet_gc_last_collection_heap_size_bytes"),
            WorkingSetBytes = Prometheus.Sum(metrics, "dotnet_process_memory_working_set_bytes"),
            ThreadPoolThreads = Prometheus.Sum(metrics, "dotnet_thread_pool_thread_count_total") + Prometheus.Sum(metrics, "dotnet_thread_pool_thread_count"),
            RequestsByCode = new SortedDictionary<string, double>(Prometheus.SumBy(metrics, "adadiff_requests_total", "code"), StringComparer.Ordinal),
            Images = Prometheus.Sum(metrics, "adadiff_images_total"),
            GenerationsActive = Prometheus.Sum(metrics, "adadiff_generations_active"),
            QueueDepth = Prometheus.Sum(metrics, "adadiff_queue_depth"),
        };
    }

    internal static string Progress(Sample s) => string.Create(
        CultureInfo.InvariantCulture,
        $"[{s.ElapsedSeconds,6:F0} s {s.Phase,-5}] calls {s.CallsDone,6} | rss {Mib(s.RssBytes),7:F1} MiB | heap {Mib(s.HeapBytes),6:F1} MiB | threads {s.Threads,3} (pool {s.ThreadPoolThreads:F0}) | fds {s.Fds,4} | active {s.GenerationsActive:F0} queue {s.QueueDepth:F0} | errors {s.Errors}");

    internal static double Mib(double bytes) => bytes / (1024.0 * 1024.0);
}
