using System.Diagnostics;
using System.Text;

namespace AdaDiff.Tools.Tests;

/// <summary>What one run of <c>adadiff-tools</c> printed and returned.</summary>
internal sealed record ToolsResult(int ExitCode, string Stdout, string Stderr);

/// <summary>The built <c>adadiff-tools</c> run as its own process (<c>dotnet adadiff-tools.dll …</c>), as a user runs it.</summary>
internal sealed class ToolsProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder stdout = new(), stderr = new();

    private ToolsProcess(Process process)
    {
        this.process = process;
    }

    public int Id => process.Id;

    /// <summary>Starts <c>adadiff-tools ARGS</c> in <paramref name="workingDirectory"/>; the caller disposes it (which kills it).</summary>
    public static ToolsProcess Start(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(TestPaths.ToolsDll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        var tools = new ToolsProcess(new Process { StartInfo = start });
        tools.process.OutputDataReceived += (_, e) => Append(tools.stdout, e.Data);
        tools.process.ErrorDataReceived += (_, e) => Append(tools.stderr, e.Data);
        tools.process.Start();
        tools.process.BeginOutputReadLine();
        tools.process.BeginErrorReadLine();
        return tools;
    }

    /// <summary>Runs <c>adadiff-tools ARGS</c> to the end (killed after <paramref name="timeout"/>, which fails the test).</summary>
    public static async Task<ToolsResult> RunAsync(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        using ToolsProcess tools = Start(workingDirectory, args);
        return await tools.WaitAsync(timeout);
    }

    /// <summary>Waits for the exit and returns what it printed; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<ToolsResult> WaitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"adadiff-tools did not exit within {timeout}; stderr so far:\n{Text(stderr)}");
        }
        process.WaitForExit(); // drains the redirected streams
        return new ToolsResult(process.ExitCode, Text(stdout), Text(stderr));
    }

    /// <summary>Sends SIGTERM, as <c>kill</c> or a scheduler stopping the job does.</summary>
    public void Terminate()
    {
        using Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        process.Dispose();
    }

    private static void Append(StringBuilder sb, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (sb)
        {
            sb.AppendLine(line);
        }
    }

    private static string Text(StringBuilder sb)
    {
        lock (sb)
        {
            return sb.ToString();
        }
    }
}
