using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AdaDiff.Server.Tests;

/// <summary>The built server run as its own process (<c>dotnet AdaDiff.Server.dll …</c>) on loopback ports.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process) => _process = process;

    public int GrpcPort { get; private init; }

    public int HttpPort { get; private init; }

    /// <summary>Everything the process wrote so far, stdout and stderr.</summary>
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

    /// <summary>Starts the server on two free loopback ports with extra flags.</summary>
    public static ServerProcess Start(params string[] extraArgs)
    {
        int grpcPort = FreePort();
        int httpPort = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(), // the server must find its models without the source tree as cwd
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
        return server;
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Waits for the process to exit by itself.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Polls /readyz until it answers 200; fails if the process exits or time runs out.</summary>
    public async Task WaitReadyAsync(HttpClient http, TimeSpan timeout)
    {
        var wait = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(_process.HasExited, $"the server exited with {(_process.HasExited ? _process.ExitCode : 0)}:\n{Output}");
            try
            {
                using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/readyz"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet, or too busy to answer within the client's timeout (loading on shared cores)
            }
            Assert.True(wait.Elapsed < timeout, $"the server was not ready after {timeout}:\n{Output}");
            await Task.Delay(200);
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

    private static int FreePort()
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
