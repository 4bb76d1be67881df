using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AdaDiff.Tests.Shared;

/// <summary>
/// The built server run as its own process (<c>dotnet AdaDiff.Server.dll …</c>) on two free loopback ports, its
/// stdout and stderr kept for failure messages; disposing kills it. The one copy for every test project that starts
/// the real server (linked in as Shared/ServerProcess.cs).
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    /// <summary>
    /// How long the server may take to answer /readyz: loading a model on a busy 2-core machine while other test
    /// assemblies run. The longest of the former copies' deadlines (the client tests' 240 s; the others had 3 min).
    /// </summary>
    public static readonly TimeSpan DefaultReadyTimeout = TimeSpan.FromSeconds(240);

    /// <summary>Per-request limit of the /readyz poll that <see cref="StartAsync"/> runs itself.</summary>
    private static readonly TimeSpan ReadyRequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>200 ms between /readyz polls (one copy polled every 100 ms): fewer wake-ups on cores the server is loading on.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>How long to wait, once the process has exited, for the last lines of its output (the reason it exited).</summary>
    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(10);

    private readonly DotnetProcess process;

    private ServerProcess(DotnetProcess process, int grpcPort, int httpPort)
    {
        this.process = process;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
    }

    public int GrpcPort { get; }

    public int HttpPort { get; }

    /// <summary>The gRPC address, <c>http://127.0.0.1:&lt;GrpcPort&gt;</c> (HTTP/2 without TLS).</summary>
    public string GrpcAddress => $"http://127.0.0.1:{GrpcPort}";

    /// <summary>Everything the process wrote so far, stdout and stderr.</summary>
    public string Output => process.Output;

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>
    /// Starts the server; <paramref name="extraArgs"/> (e.g. <c>--AdaDiff:Backend=torchsharp</c>,
    /// <c>--AdaDiff:MaxQueuedJobs=1</c>) follow the port flags, so they may override any setting. Does not wait for
    /// it to be ready (<see cref="WaitReadyAsync"/>); the caller disposes it (which kills it) whatever happens next.
    /// </summary>
    public static ServerProcess Start(params string[] extraArgs)
    {
        int grpcPort = FreePort();
        int httpPort = FreePort();
        string[] args =
        [
            "--AdaDiff:BindAddress=127.0.0.1",
            $"--AdaDiff:GrpcPort={grpcPort}",
            $"--AdaDiff:HttpPort={httpPort}",
            .. extraArgs,
        ];
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = null,
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        // the server must find its models without the source tree as cwd
        return new ServerProcess(DotnetProcess.Start(TestPaths.ServerDll, args, Path.GetTempPath(), environment), grpcPort, httpPort);
    }

    /// <summary>
    /// Starts the server (as <see cref="Start"/>) and waits until /readyz answers 200. If it exits or is not ready
    /// within <paramref name="readyTimeout"/> it is disposed (killed) before the exception propagates; one copy left
    /// a server that had exited undisposed.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(TimeSpan readyTimeout, params string[] extraArgs)
    {
        ServerProcess server = Start(extraArgs);
        try
        {
            using var http = new HttpClient { Timeout = ReadyRequestTimeout };
            await server.WaitReadyAsync(http, readyTimeout);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Polls /readyz until it answers 200; throws <see cref="InvalidOperationException"/> if the process exits and
    /// <see cref="TimeoutException"/> if <paramref name="timeout"/> (default <see cref="DefaultReadyTimeout"/>)
    /// passes, each with the server's output. Exceptions rather than xunit asserts (as one copy had), so fixtures can
    /// call it too; the message is built only on failure, not on every poll. With <paramref name="https"/> it asks
    /// <c>https://127.0.0.1:&lt;HttpPort&gt;/readyz</c> (a server started with <c>AdaDiff:Tls</c>): then
    /// <paramref name="http"/>'s handler must trust the server's certificate (and present a client certificate
    /// under mutual TLS); a handshake it refuses reads as "not listening yet" until the deadline.
    /// </summary>
    public async Task WaitReadyAsync(HttpClient http, TimeSpan? timeout = null, bool https = false)
    {
        var readyz = new Uri($"{(https ? "https" : "http")}://127.0.0.1:{HttpPort}/readyz");
        TimeSpan limit = timeout ?? DefaultReadyTimeout;
        var wait = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                await DrainOutputAsync();
                throw new InvalidOperationException($"the server exited with {process.ExitCode}:\n{Output}");
            }
            try
            {
                using HttpResponseMessage response = await http.GetAsync(readyz);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet, or too busy to answer within the client's per-request timeout (model loading
                // while other test assemblies run on the same cores): not ready yet, keep polling until the deadline
            }
            if (wait.Elapsed > limit)
            {
                throw new TimeoutException($"the server was not ready after {limit}:\n{Output}");
            }
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>The server's process id (to read its memory from /proc).</summary>
    public int ProcessId => process.Id;

    /// <summary>Resident memory of the server now, in bytes (VmRSS of /proc/&lt;pid&gt;/status).</summary>
    public long ResidentBytes()
    {
        foreach (string line in File.ReadLines($"/proc/{ProcessId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException($"no VmRSS in /proc/{ProcessId}/status");
    }

    /// <summary>Sends SIGTERM, as Kubernetes does when it stops a pod.</summary>
    public void Terminate() => process.Terminate();

    /// <summary>Waits for the process to exit by itself (and for the last of its output); returns its exit code.</summary>
    public Task<int> WaitForExitAsync(TimeSpan timeout) => process.WaitForExitAsync(timeout);

    /// <summary>Lines of the server's output (stdout and stderr) that contain <paramref name="text"/>.</summary>
    public int CountLines(string text)
    {
        return Output.Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>A loopback port free at the time of the call.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();

    /// <summary>After an exit, lets the asynchronous readers deliver the last lines (the reason) before they are reported.</summary>
    private async Task DrainOutputAsync()
    {
        try
        {
            await WaitForExitAsync(OutputDrainTimeout);
        }
        catch (OperationCanceledException)
        {
            // report what arrived
        }
    }
}
