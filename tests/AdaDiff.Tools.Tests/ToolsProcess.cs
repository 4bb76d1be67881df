namespace AdaDiff.Tools.Tests;

/// <summary>What one run of <c>adadiff-tools</c> printed and returned.</summary>
internal sealed record ToolsResult(int ExitCode, string Stdout, string Stderr);

/// <summary>The built <c>adadiff-tools</c> run as its own process (<c>dotnet adadiff-tools.dll …</c>), as a user runs it.</summary>
internal sealed class ToolsProcess : IDisposable
{
    /// <summary>Passive OpenMP workers: a finished parallel region does not spin on cores the other test assemblies use.</summary>
    private static readonly Dictionary<string, string?> Environment = new() { ["OMP_WAIT_POLICY"] = "PASSIVE" };

    private readonly DotnetProcess process;

    private ToolsProcess(DotnetProcess process)
    {
        this.process = process;
    }

    /// <summary>Starts <c>adadiff-tools ARGS</c> in <paramref name="workingDirectory"/>; the caller disposes it (which kills it).</summary>
    public static ToolsProcess Start(string workingDirectory, params string[] args) =>
        new(DotnetProcess.Start(TestPaths.ToolsDll, args, workingDirectory, Environment));

    /// <summary>Runs <c>adadiff-tools ARGS</c> to the end (killed after <paramref name="timeout"/>, which fails the test).</summary>
    public static async Task<ToolsResult> RunAsync(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        using ToolsProcess tools = Start(workingDirectory, args);
        return await tools.WaitAsync(timeout);
    }

    /// <summary>Waits for the exit and returns what it printed; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<ToolsResult> WaitAsync(TimeSpan timeout)
    {
        try
        {
            int exitCode = await process.WaitForExitAsync(timeout);
            return new ToolsResult(exitCode, process.Stdout, process.Stderr);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"adadiff-tools did not exit within {timeout}; stderr so far:\n{process.Stderr}");
        }
    }

    /// <summary>Sends SIGTERM, as <c>kill</c> or a scheduler stopping the job does.</summary>
    public void Terminate() => process.Terminate();

    public void Dispose() => process.Dispose();
}
