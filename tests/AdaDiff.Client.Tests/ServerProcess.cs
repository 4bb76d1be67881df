using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AdaDiff.Client.Tests;

/// <summary>The built server run as its own process on free loopback ports (as in AdaDiff.Server.Tests).</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process) => _process = process;

    public int GrpcPort { get; private init; }

    public int HttpPort { get; private init; }

    public string GrpcAddress => $"http://127.0.0.1:{GrpcPort}";

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the server; <paramref name="extraArgs"/> (e.g. <c>--AdaDiff:MaxQueuedJobs=1</c>) follow the port flags.</summary>
    public static async Task<ServerProcess> StartAsync(TimeSpan readyTimeout, params string[] extraArgs)
    {
        int grpcPort = FreePort(), httpPort = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(TestPaths.ServerDll);
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
        var process = new Process { StartInfo = start };
        var server = new ServerProcess(process) { GrpcPort = grpcPort, HttpPort = httpPort };
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var wait = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with {process.ExitCode}:\n{server.Output}");
            }
            try
            {
                using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{httpPort}/readyz"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet, or too busy to answer within the per-request timeout (model loading while
                // other test assemblies run on the same cores): keep polling until readyTimeout
            }
            if (wait.Elapsed > readyTimeout)
            {
                await server.DisposeAsync();
                throw new TimeoutException($"the server was not ready after {readyTimeout}:\n{server.Output}");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>Lines of the server's output (stdout and stderr) that contain <paramref name="text"/>.</summary>
    public int CountLines(string text)
    {
        lock (_output)
        {
            return _output.ToString().Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal));
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
