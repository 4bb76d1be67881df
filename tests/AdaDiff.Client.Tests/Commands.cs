using System.Diagnostics;

namespace AdaDiff.Client.Tests;

/// <summary>
/// Commands run as a user runs them (the CLI, <c>dotnet</c>, bash, python3, node): to their end within a limit, stdout
/// and stderr kept. The one process runner of the package, README and CLI-executable tests.
/// </summary>
internal static class Commands
{
    /// <summary>
    /// Runs <paramref name="fileName"/> <paramref name="args"/> in <paramref name="workingDirectory"/> (null: this
    /// process's); <paramref name="environment"/> sets (value) or removes (null) variables. Killed with its children
    /// past <paramref name="limit"/> (and the <see cref="TimeoutException"/> rethrown). Its exit code and output,
    /// stdout then stderr.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string? workingDirectory, IReadOnlyDictionary<string, string?> environment, TimeSpan limit, string fileName, params string[] args)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach ((string name, string? value) in environment)
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
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary><see cref="RunAsync"/>, failing the test with the output unless the command exits 0; the output.</summary>
    public static async Task<string> RunToSuccessAsync(
        string workingDirectory, IReadOnlyDictionary<string, string?> environment, TimeSpan limit, string fileName, params string[] args)
    {
        (int code, string output) = await RunAsync(workingDirectory, environment, limit, fileName, args);
        Assert.True(code == 0, $"{fileName} {string.Join(' ', args)} exited {code}:\n{output}");
        return output;
    }
}
