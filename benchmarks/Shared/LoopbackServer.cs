using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AdaDiff.Benchmarks.Shared;

/// <summary>
/// The real server (<c>dotnet AdaDiff.Server.dll</c>) on two free ports of 127.0.0.1, its output kept (the last lines,
/// for a failure message). Its environment loses every <c>ADADIFF__…</c> variable and <c>ASPNETCORE_URLS</c> and runs
/// as Production, so that the flags alone say how it ran. Disposing stops it: SIGTERM, then a kill of its process tree.
/// The one copy for the serving benchmark and the soak (linked in as Shared/LoopbackServer.cs).
/// </summary>
internal sealed class LoopbackServer(Process process, string name, int grpcPort, int httpPort) : IAsyncDisposable
{
    private const int KeptLines = 200;
    private readonly Process process = process;
    private readonly RecentLines lines = new(KeptLines);

    /// <summary>What failure messages call it: "the server", "the onnxruntime server".</summary>
    public string Name { get; } = name;

    public int GrpcPort { get; } = grpcPort;

    public int HttpPort { get; } = httpPort;

    public int ProcessId => process.Id;

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    /// <summary>Its Prometheus scrape endpoint, <c>http://127.0.0.1:&lt;HttpPort&gt;/metrics</c>.</summary>
    public Uri MetricsAddress => new($"http://127.0.0.1:{HttpPort}/metrics");

    public bool HasExited => process.HasExited;

    /// <summary>CPU seconds (user + system, all its threads) the server has used so far; NaN once it has exited.</summary>
    public double CpuSeconds
    {
        get
        {
            try
            {
                process.Refresh();
                return process.TotalProcessorTime.TotalSeconds;
            }
            catch (InvalidOperationException)
            {
                return double.NaN;
            }
        }
    }

    public int ExitCode => process.ExitCode;

    /// <summary>The last <see cref="KeptLines"/> lines of its stdout and stderr.</summary>
    public string RecentOutput => lines.ToString();

    /// <summary>Starts the server; <paramref name="flags"/> (<c>--AdaDiff:…</c>) follow the address and port flags.</summary>
    public static LoopbackServer Start(string dll, string name, IEnumerable<string> flags)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} not found; build it first (dotnet build server/AdaDiff.Server -c Release) or pass --server-dll");
        }
        int grpcPort = FreePort();
        int httpPort = FreePort();
        while (httpPort == grpcPort)
        {
            httpPort = FreePort();
        }
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(dll))!,
        };
        start.ArgumentList.Add(Path.GetFullPath(dll));
        start.ArgumentList.Add("--AdaDiff:BindAddress=127.0.0.1");
        start.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"--AdaDiff:GrpcPort={grpcPort}"));
        start.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"--AdaDiff:HttpPort={httpPort}"));
        foreach (string flag in flags)
        {
            start.ArgumentList.Add(flag);
        }
        foreach (string variable in Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(n => n.StartsWith("ADADIFF__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(variable);
        }
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var server = new LoopbackServer(process, name, grpcPort, httpPort);
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Polls /readyz until it answers 200; throws with the server's last output if it exits or takes too long.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancel)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var wait = Stopwatch.StartNew();
        var readyz = new Uri($"http://127.0.0.1:{HttpPort}/readyz");
        while (true)
        {
            if (process.HasExited)
            {
                await Task.Delay(500, cancel); // let the last lines arrive
                throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} before it was ready; its last output:\n{RecentOutput}");
            }
            try
            {
                using HttpResponseMessage response = await http.GetAsync(readyz, cancel);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
            {
                // not listening yet, or busy loading
            }
            if (wait.Elapsed > timeout)
            {
                throw new TimeoutException($"{Name} was not ready after {timeout.TotalSeconds:F0} s; its last output:\n{RecentOutput}");
            }
            await Task.Delay(200, cancel);
        }
    }

    /// <summary>Throws with the server's last output if it has exited; <paramref name="during"/> says when ("during the soak").</summary>
    public void EnsureRunning(string during)
    {
        if (process.HasExited)
        {
            throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} {during}; its last output:\n{RecentOutput}");
        }
    }

    /// <summary>
    /// SIGTERM (the server drains), then a kill if it has not exited within <paramref name="timeout"/>; its exit code,
    /// or null when it had to be killed.
    /// </summary>
    public async Task<int?> StopAsync(TimeSpan timeout)
    {
        if (process.HasExited)
        {
            return process.ExitCode;
        }
        try
        {
            using Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync(CancellationToken.None);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // no kill binary: fall through to Kill
        }
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
            return process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return null;
        }
    }

    /// <summary>Stops it without waiting for a drain: what a process-exit handler calls when a run is interrupted.</summary>
    public void Kill()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    /// <summary>Stops it (<see cref="StopAsync"/>, <paramref name="drain"/> to drain) and releases the process.</summary>
    public async ValueTask DisposeAsync(TimeSpan drain)
    {
        try
        {
            await StopAsync(drain);
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }
        process.Dispose();
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => DisposeAsync(TimeSpan.FromSeconds(15));

    private void Keep(string? line) => lines.Add(line);

    /// <summary>A port of 127.0.0.1 that was free a moment ago (bound to port 0, then released).</summary>
    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
