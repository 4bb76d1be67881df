using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>The built server run as its own process (<c>dotnet AdaDiff.Server.dll …</c>) on two free loopback ports.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, int grpcPort, int httpPort)
    {
        _process = process;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
    }

    public int GrpcPort { get; }

    public int HttpPort { get; }

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

    /// <summary>Starts the server with extra flags; the caller disposes it (which kills it) whatever happens next.</summary>
    public static ServerProcess Start(params string[] extraArgs)
    {
        int grpcPort = FreePort();
        int httpPort = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(ServerDll);
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
        var server = new ServerProcess(process, grpcPort, httpPort);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Polls /readyz until it answers 200; throws if the process exits or <paramref name="timeout"/> passes.</summary>
    public async Task WaitReadyAsync(HttpClient http, TimeSpan timeout)
    {
        var wait = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with {_process.ExitCode}:\n{Output}");
            }
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
                // not listening yet, or too busy loading to answer within the per-request timeout: not ready yet
            }
            if (wait.Elapsed > timeout)
            {
                throw new TimeoutException($"the server was not ready after {timeout}:\n{Output}");
            }
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // never started or already reaped
        }
        _process.Dispose();
    }

    /// <summary>The built server: server/AdaDiff.Server/bin/&lt;the tests' configuration&gt;/…/AdaDiff.Server.dll, newest first.</summary>
    private static string ServerDll
    {
        get
        {
            string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            string bin = Path.Combine(RepositoryRoot(), "server", "AdaDiff.Server", "bin", configuration);
            string? dll = Directory.Exists(bin)
                ? Directory.GetFiles(bin, "AdaDiff.Server.dll", SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
                : null;
            return dll ?? throw new FileNotFoundException($"AdaDiff.Server.dll not found under {bin}; build the server first.");
        }
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AdaDiff.Grpc.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No AdaDiff.Grpc.sln above {AppContext.BaseDirectory}");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
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
}
