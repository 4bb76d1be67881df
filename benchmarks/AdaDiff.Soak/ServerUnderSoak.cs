using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AdaDiff.Soak;

/// <summary>
/// The real server (<c>dotnet AdaDiff.Server.dll</c>) on two free ports of 127.0.0.1, its output kept (the last lines,
/// for a failure message), and its resources read from /proc. Disposing stops it (SIGTERM, then kill).
/// </summary>
internal sealed class ServerUnderSoak : IAsyncDisposable
{
    private const int KeptLines = 200;
    private readonly Process _process;
    private readonly Queue<string> _lines = new();

    private ServerUnderSoak(Process process, int grpcPort, int httpPort)
    {
        _process = process;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
    }

    public int GrpcPort { get; }

    public int HttpPort { get; }

    public int ProcessId => _process.Id;

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    public Uri MetricsAddress => new($"http://127.0.0.1:{HttpPort}/metrics");

    public string RecentOutput
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public static ServerUnderSoak Start(string dll, IEnumerable<string> extraArgs)
    {
        int grpcPort = FreePort();
        int httpPort = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(dll))!,
        };
        start.ArgumentList.Add(Path.GetFullPath(dll));
        start.ArgumentList.Add("--AdaDiff:BindAddress=127.0.0.1");
        start.ArgumentList.Add($"--AdaDiff:GrpcPort={grpcPort}");
        start.ArgumentList.Add($"--AdaDiff:HttpPort={httpPort}");
        foreach (string arg in extraArgs)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var server = new ServerUnderSoak(process, grpcPort, httpPort);
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
            if (_process.HasExited)
            {
                await Task.Delay(500, cancel);
                throw new InvalidOperationException($"the server exited with {_process.ExitCode}:\n{RecentOutput}");
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
                throw new TimeoutException($"the server was not ready after {timeout}:\n{RecentOutput}");
            }
            await Task.Delay(200, cancel);
        }
    }

    /// <summary>VmRSS (bytes) and Threads of /proc/&lt;pid&gt;/status, and the entries of /proc/&lt;pid&gt;/fd.</summary>
    public (long RssBytes, int Threads, int Fds) ReadProc()
    {
        long rss = 0;
        int threads = 0;
        foreach (string line in File.ReadLines($"/proc/{ProcessId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }
        int fds = Directory.GetFileSystemEntries($"/proc/{ProcessId}/fd").Length;
        return (rss, threads, fds);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>SIGTERM (the server drains), then a kill if it has not exited within <paramref name="timeout"/>; its exit code, or null when killed.</summary>
    public async Task<int?> StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return _process.ExitCode;
        }
        using (Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(CancellationToken.None);
        }
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(TimeSpan.FromSeconds(40));
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > KeptLines)
            {
                _lines.Dequeue();
            }
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
