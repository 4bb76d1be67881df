using System.Diagnostics;
using AdaDiff.Benchmarks.Shared;
using AdaDiff.Client;
using AdaDiff.ServingBenchmarks.Runner;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// What a benchmark run holds while it runs: a runner process per backend (the in-process path, each backend alone in
/// its own process), a server per backend and a client of each, and the peak probe. The benchmark process itself
/// loads no backend, so that at any time one process computes: the server being called, or the runner being measured,
/// while the other backends' servers and runners wait idle. Disposing it releases them all (clients, servers,
/// runners, probe); servers and runners are also killed when the process exits.
/// </summary>
internal sealed class BenchRig : IAsyncDisposable
{
    private readonly Dictionary<string, LoopbackServer> servers = new(StringComparer.Ordinal);

    public BenchRig() => AppDomain.CurrentDomain.ProcessExit += KillChildren;

    /// <summary>Each backend's runner process, by backend.</summary>
    public Dictionary<string, RunnerProcess> Runners { get; } = new(StringComparer.Ordinal);

    /// <summary>A client of each backend's server (no retries), by backend.</summary>
    public Dictionary<string, AdaDiffClient> Clients { get; } = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, LoopbackServer> Servers => servers;

    public PeakProbe? Probe { get; private set; }

    /// <summary>Starts a runner per backend, one after the other, each loading <paramref name="package"/> in its own process.</summary>
    public async Task StartRunnersAsync(IReadOnlyList<string> backends, string package, int threads, TextWriter log, CancellationToken cancel)
    {
        foreach (string backend in backends)
        {
            RunnerProcess runner = await RunnerProcess.StartAsync(RunnerProcess.OwnDll, backend, package, threads, log, TimeSpan.FromMinutes(4), cancel);
            Runners[backend] = runner;
            log.WriteLine($"bench: {backend} runner (the in-process path): pid {runner.ProcessId}, backend loaded");
        }
    }

    /// <summary>Starts a server per backend with <paramref name="flags"/>, waits until each is ready, and connects a client.</summary>
    public async Task StartServersAsync(string serverDll, IReadOnlyList<string> backends, string[] flags, Stopwatch clock, TextWriter log, CancellationToken cancel)
    {
        foreach (string backend in backends)
        {
            LoopbackServer server = ServerLauncher.Start(serverDll, backend, flags);
            servers[backend] = server;
            log.WriteLine($"bench: {backend} server: pid {server.ProcessId}, gRPC {server.GrpcAddress}; waiting for /readyz");
        }
        foreach ((string backend, LoopbackServer server) in servers)
        {
            await server.WaitReadyAsync(TimeSpan.FromMinutes(4), cancel);
            Clients[backend] = new AdaDiffClient(new AdaDiffClientOptions { Address = server.GrpcAddress, MaxAttempts = 1 });
        }
        log.WriteLine($"bench: servers ready after {clock.Elapsed.TotalSeconds:F0} s");
    }

    /// <summary>
    /// The engine's scheduler in every runner, with the servers' limits (each warms its backend up as the server does,
    /// one runner after the other), and the peak probe.
    /// </summary>
    public async Task StartInProcessAsync(BenchSettings settings, CancellationToken cancel)
    {
        foreach (RunnerProcess runner in Runners.Values)
        {
            await runner.RequestAsync(new RunnerRequest { Op = RunnerOp.Start, Settings = settings }, cancel);
        }
        Probe = new PeakProbe(settings.MatmulSize, settings.Threads);
    }

    /// <summary>Throws when a server has exited.</summary>
    public void EnsureServersRunning()
    {
        foreach (LoopbackServer server in servers.Values)
        {
            server.EnsureRunning("during the benchmark");
        }
    }

    /// <summary>Stops every server as a SIGTERM would (the drain).</summary>
    public async Task StopServersAsync()
    {
        foreach (LoopbackServer server in servers.Values)
        {
            await server.StopAsync(TimeSpan.FromSeconds(15));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (AdaDiffClient client in Clients.Values)
        {
            client.Dispose();
        }
        foreach (LoopbackServer server in servers.Values)
        {
            await server.DisposeAsync();
        }
        foreach (RunnerProcess runner in Runners.Values)
        {
            await runner.DisposeAsync();
        }
        AppDomain.CurrentDomain.ProcessExit -= KillChildren;
        Probe?.Dispose();
    }

    private void KillChildren(object? sender, EventArgs e)
    {
        foreach (LoopbackServer s in servers.Values)
        {
            s.Kill();
        }
        foreach (RunnerProcess r in Runners.Values)
        {
            r.Kill();
        }
    }
}
