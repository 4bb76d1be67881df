using System.Diagnostics;
using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Benchmarks.Shared;
using AdaDiff.Client;
using AdaDiff.Engine.Backends;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// What a benchmark run holds while it runs: the in-process backends, a server per backend and a client of each, the
/// in-process schedulers and the peak probe. Disposing it releases them all (clients, servers, schedulers, probe,
/// backends, in that order); the servers are also killed when the process exits.
/// </summary>
internal sealed class BenchRig : IAsyncDisposable
{
    private readonly Dictionary<string, LoopbackServer> servers = new(StringComparer.Ordinal);

    public BenchRig() => AppDomain.CurrentDomain.ProcessExit += KillServers;

    /// <summary>The backends loaded in this process, by name.</summary>
    public Dictionary<string, IDenoiserBackend> Backends { get; } = new(StringComparer.Ordinal);

    /// <summary>A client of each backend's server (no retries), by backend.</summary>
    public Dictionary<string, AdaDiffClient> Clients { get; } = new(StringComparer.Ordinal);

    /// <summary>The engine's scheduler on each in-process backend, by backend.</summary>
    public Dictionary<string, InProcessRunner> InProcess { get; } = new(StringComparer.Ordinal);

    public PeakProbe? Probe { get; private set; }

    /// <summary>Loads each of <paramref name="backends"/> from <paramref name="package"/> in this process.</summary>
    public void LoadBackends(IReadOnlyList<string> backends, string package, int threads, TextWriter log)
    {
        log.WriteLine("bench: loading the backends in-process");
        foreach (string backend in backends)
        {
            Backends[backend] = backend == "torchsharp"
                ? TorchSharpBackend.Load(package, new TorchSharpBackendOptions { Threads = threads })
                : OnnxBackend.Load(package, new OnnxBackendOptions { Threads = threads });
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

    /// <summary>The in-process scheduler on every loaded backend, with the servers' limits, and the peak probe.</summary>
    public void StartInProcess(IReadOnlyList<string> backends, BenchSettings settings)
    {
        foreach (string backend in backends)
        {
            InProcess[backend] = new InProcessRunner(Backends[backend], settings);
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
        AppDomain.CurrentDomain.ProcessExit -= KillServers;
        foreach (InProcessRunner runner in InProcess.Values)
        {
            await runner.DisposeAsync();
        }
        Probe?.Dispose();
        foreach (IDenoiserBackend backend in Backends.Values)
        {
            backend.Dispose();
        }
    }

    private void KillServers(object? sender, EventArgs e)
    {
        foreach (LoopbackServer s in servers.Values)
        {
            s.Kill();
        }
    }
}
