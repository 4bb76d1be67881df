using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// The real server (<c>dotnet AdaDiff.Server.dll</c>) on two free ports of 127.0.0.1 with one backend, its output kept
/// (the last lines, for a failure message). Disposing stops it: SIGTERM, then a kill of its process tree.
/// </summary>
internal sealed class ServerLauncher : IAsyncDisposable
{
    private const int KeptLines = 200;
    private readonly Process _process;
    private readonly Queue<string> _lines = new();

    private ServerLauncher(Process process, string backend, int grpcPort, int httpPort)
    {
        _process = process;
        Backend = backend;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
    }

    public string Backend { get; }

    public int GrpcPort { get; }

    public int HttpPort { get; }

    public int ProcessId => _process.Id;

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    public bool HasExited => _process.HasExited;

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

    /// <summary>
    /// Starts the server. <paramref name="flags"/> are its <c>--AdaDiff:…</c> settings besides address and ports. The
    /// server's environment loses every <c>ADADIFF__…</c> variable, so that the flags alone say how it ran.
    /// </summary>
    public static ServerLauncher Start(string dll, string backend, IEnumerable<string> flags)
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
        start.ArgumentList.Add($"--AdaDiff:Backend={backend}");
        foreach (string flag in flags)
        {
            start.ArgumentList.Add(flag);
        }
        foreach (string name in Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(n => n.StartsWith("ADADIFF__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var server = new ServerLauncher(process, backend, grpcPort, httpPort);
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
                await Task.Delay(500, cancel); // let the last lines arrive
                throw new InvalidOperationException($"the {Backend} server exited with code {_process.ExitCode} before it was ready; its last output:\n{RecentOutput}");
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
                throw new TimeoutException($"the {Backend} server was not ready after {timeout.TotalSeconds:F0} s; its last output:\n{RecentOutput}");
            }
            await Task.Delay(200, cancel);
        }
    }

    /// <summary>Throws with the server's last output if it has exited.</summary>
    public void EnsureRunning()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"the {Backend} server exited with code {_process.ExitCode} during the benchmark; its last output:\n{RecentOutput}");
        }
    }

    /// <summary>SIGTERM (the server drains), then a kill if it has not exited within <paramref name="timeout"/>.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }
        try
        {
            using Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync(CancellationToken.None);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // no kill binary: fall through to Kill
        }
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>Stops it without waiting for a drain: what the process-exit handler calls when the benchmark is interrupted.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(TimeSpan.FromSeconds(15));
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }
        _process.Dispose();
    }

    /// <summary>
    /// The scheduler limits in the built server's appsettings.json (section AdaDiff): what the server runs with unless
    /// told otherwise. Missing keys, or a missing file, give null.
    /// </summary>
    public static (int? MaxActiveJobs, int? MaxBatchRows, int? MaxQueuedJobs) ReadLimits(string dll)
    {
        string settings = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dll))!, "appsettings.json");
        if (!File.Exists(settings))
        {
            return (null, null, null);
        }
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(settings), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (!doc.RootElement.TryGetProperty("AdaDiff", out JsonElement section))
        {
            return (null, null, null);
        }
        int? Read(string name) => section.TryGetProperty(name, out JsonElement v) && v.TryGetInt32(out int i) ? i : null;
        return (Read("MaxActiveJobs"), Read("MaxBatchRows"), Read("MaxQueuedJobs"));
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
