using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace AdaDiff.Tests.Shared;

/// <summary>
/// A built assembly run as its own process (<c>dotnet X.dll ARGS</c>), as a user runs it: its stdout and stderr kept
/// apart and interleaved (for failure messages), SIGTERM on request, killed with its children on dispose. The one
/// child-process helper under <see cref="ServerProcess"/> and the tools' test runner (linked in as
/// Shared/DotnetProcess.cs).
/// </summary>
internal sealed class DotnetProcess : IDisposable, IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder stdout = new(), stderr = new(), output = new();

    private DotnetProcess(Process process)
    {
        this.process = process;
    }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>What the process wrote to stdout so far.</summary>
    public string Stdout => Read(stdout);

    /// <summary>What the process wrote to stderr so far.</summary>
    public string Stderr => Read(stderr);

    /// <summary>Both streams so far, line by line in the order they arrived.</summary>
    public string Output => Read(output);

    /// <summary>
    /// Starts <c>dotnet DLL ARGS</c> in <paramref name="workingDirectory"/>; <paramref name="environment"/> sets
    /// (value) or removes (null) variables of the child's environment. The caller disposes it (which kills it).
    /// </summary>
    public static DotnetProcess Start(
        string dll, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }
        var child = new DotnetProcess(new Process { StartInfo = start });
        child.process.OutputDataReceived += (_, e) => child.Append(child.stdout, e.Data);
        child.process.ErrorDataReceived += (_, e) => child.Append(child.stderr, e.Data);
        child.process.Start();
        child.process.BeginOutputReadLine();
        child.process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// Waits for the process to exit by itself and for the last of its output (the reason it exited); returns its
    /// exit code. Throws <see cref="OperationCanceledException"/> after <paramref name="timeout"/>.
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token); // since .NET 6 also waits for the redirected streams' end
        return process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as <c>kill</c> or a scheduler stopping the job does.</summary>
    public void Terminate()
    {
        using Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // never started, already reaped or already disposed: disposing twice is harmless
        }
        process.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose(); // the kill is immediate; waiting for the exit is short enough to block on
        return ValueTask.CompletedTask;
    }

    private void Append(StringBuilder stream, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (output)
        {
            stream.AppendLine(line);
            output.AppendLine(line);
        }
    }

    private string Read(StringBuilder sb)
    {
        lock (output)
        {
            return sb.ToString();
        }
    }
}
