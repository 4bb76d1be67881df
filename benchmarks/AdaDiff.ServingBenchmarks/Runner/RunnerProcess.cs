using System.Diagnostics;
using System.Globalization;
using AdaDiff.Benchmarks.Shared;

namespace AdaDiff.ServingBenchmarks.Runner;

/// <summary>
/// A backend's runner as a child process (<c>dotnet adadiff-serving-bench.dll runner …</c>, this program again): the
/// benchmark's side of <see cref="RunnerProtocol"/>. One request at a time; a request that fails in the runner throws
/// its error, and a runner that exits throws with its exit code and the last lines of its stderr (and of any stdout
/// that was not a reply). Disposing asks it to quit, then kills it if it has not exited within a few seconds.
/// </summary>
internal sealed class RunnerProcess : IAsyncDisposable
{
    private const int KeptLines = 100;
    private readonly Process process;
    private readonly RecentLines lines = new(KeptLines);
    private readonly HashSet<string> forwarded = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly Action<string>? forward;

    private RunnerProcess(Process process, string backend, Action<string>? forward)
    {
        this.process = process;
        this.forward = forward;
        Backend = backend;
    }

    public string Backend { get; }

    public int ProcessId => process.Id;

    /// <summary>The CPU seconds the runner has used so far (NaN once it has exited).</summary>
    public double CpuSeconds => CpuClock.Of(process);

    /// <summary>The last lines of its stderr and of its stdout that were not replies.</summary>
    public string RecentOutput => lines.ToString();

    /// <summary>The program's own dll (what <c>dotnet</c> runs as the runner).</summary>
    public static string OwnDll => typeof(RunnerProcess).Assembly.Location;

    /// <summary>
    /// Starts the runner of <paramref name="backend"/> on <paramref name="package"/> and waits until it has loaded the
    /// backend (its first reply). Its stderr lines go to <paramref name="log"/> as they come, prefixed with the backend.
    /// </summary>
    public static async Task<RunnerProcess> StartAsync(string dll, string backend, string package, int threads, TextWriter? log, TimeSpan timeout, CancellationToken cancel)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} not found: the runner is this program's own dll");
        }
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { Path.GetFullPath(dll), "runner", "--backend", backend, "--package", package, "--threads", threads.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }
        RunnerProcess runner = Launch(start, backend, log);
        try
        {
            await runner.WaitReadyAsync(timeout, cancel);
            return runner;
        }
        catch
        {
            await runner.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the process, its stderr read as it comes.</summary>
    private static RunnerProcess Launch(ProcessStartInfo start, string backend, TextWriter? log)
    {
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        Action<string>? forward = log is null ? null : line =>
        {
            lock (log)
            {
                log.WriteLine($"bench: {backend} runner: {line}");
            }
        };
        var runner = new RunnerProcess(process, backend, forward);
        process.ErrorDataReceived += (_, e) => runner.Keep(e.Data, forward: true);
        process.BeginErrorReadLine();
        return runner;
    }

    /// <summary>Waits for its first reply, the ready line it writes once the backend is loaded.</summary>
    private async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancel)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        wait.CancelAfter(timeout);
        RunnerReply ready;
        try
        {
            ready = await ReadReplyAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"the {Backend} runner had not loaded its backend after {timeout.TotalSeconds:F0} s; its last output:\n{RecentOutput}");
        }
        if (ready.Ready != Backend)
        {
            throw new InvalidOperationException($"the {Backend} runner's first reply was not its ready line: {ready.Error ?? ready.Ready ?? "(empty)"}");
        }
    }

    /// <summary>Sends <paramref name="request"/> and returns its reply; throws with the runner's error, or when it has exited.</summary>
    public async Task<RunnerReply> RequestAsync(RunnerRequest request, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(request);
        await gate.WaitAsync(cancel);
        try
        {
            try
            {
                await process.StandardInput.WriteLineAsync(RunnerProtocol.Request(request).AsMemory(), cancel);
                await process.StandardInput.FlushAsync(cancel);
            }
            catch (IOException)
            {
                // its stdin is closed: it has exited, and the read below says so with its output
            }
            RunnerReply reply = await ReadReplyAsync(cancel);
            return reply.Error is null
                ? reply
                : throw new InvalidOperationException($"the {Backend} runner could not {request.Op.ToString().ToLowerInvariant()}{(request.Config is { } c ? " " + c.Key : "")}: {reply.Error}");
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The next reply on its stdout, other lines kept as output; throws when stdout ends (the runner exited).</summary>
    private async Task<RunnerReply> ReadReplyAsync(CancellationToken cancel)
    {
        while (await process.StandardOutput.ReadLineAsync(cancel) is { } line)
        {
            if (RunnerProtocol.ParseReply(line) is { } reply)
            {
                return reply;
            }
            Keep(line, forward: false);
        }
        await process.WaitForExitAsync(cancel); // stdout closed: it has exited, or is about to; stderr is read to its end by then
        throw new InvalidOperationException($"the {Backend} runner exited with code {process.ExitCode}; its last output:\n{RecentOutput}");
    }

    private void Keep(string? line, bool forward)
    {
        if (lines.Add(line) && forward && FirstTime(line))
        {
            this.forward?.Invoke(line);
        }
    }

    /// <summary>
    /// Whether this message has not been forwarded before: libtorch repeats its warnings on every call ("[W1202
    /// 06:35:46.178 NNPACK.cpp:56] Could not initialize NNPACK!"), so a message is forwarded once, its timestamp aside;
    /// <see cref="RecentOutput"/> keeps every line.
    /// </summary>
    private bool FirstTime(string line)
    {
        lock (forwarded)
        {
            return forwarded.Add(MessageOf(line));
        }
    }

    /// <summary>A line without a leading bracketed prefix such as libtorch's "[W1202 06:35:46.178 NNPACK.cpp:56] ".</summary>
    internal static string MessageOf(string line) =>
        line.StartsWith('[') && line.IndexOf("] ", StringComparison.Ordinal) is var end and > 0 ? line[(end + 2)..] : line;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                try
                {
                    await process.StandardInput.WriteLineAsync(RunnerProtocol.Request(new RunnerRequest { Op = RunnerOp.Quit }));
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // already going
                }
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }
        process.Dispose();
        gate.Dispose();
    }

    /// <summary>Stops it without waiting: what a process-exit handler calls when a run is interrupted.</summary>
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
}
