using System.Diagnostics;
using System.Text;

namespace AdaDiff.Parity.Tests;

/// <summary>
/// Runs <c>reference/uvit_reference.py</c> with Debian's <c>/usr/bin/python3</c> (the interpreter that sees
/// python3-torch; the <c>python3</c> first on PATH may not). A missing interpreter or torch fails the
/// test with what to run, never skips it.
/// </summary>
internal static class PythonReference
{
    /// <summary>The interpreter with Debian's python3-torch and python3-numpy.</summary>
    public const string Python = "/usr/bin/python3";

    // Torch import + a forward of 8 rows takes 1–3 s here; a loaded machine gets generous slack.
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private static readonly Lazy<string?> TorchProblem = new(FindTorchProblem);

    /// <summary>The repository root (the folder holding AdaDiff.Grpc.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The reference script.</summary>
    public static string Script => Path.Combine(RepositoryRoot, "reference", "uvit_reference.py");

    /// <summary>Fails the calling test unless /usr/bin/python3 can import torch and numpy.</summary>
    public static void RequireTorch()
    {
        if (TorchProblem.Value is string problem)
        {
            Assert.Fail($"The PyTorch reference cannot run: {problem}. Run scripts/setup.sh (it installs python3-torch, python3-numpy and libopenblas0 for {Python}).");
        }
    }

    /// <summary>Runs the script with <paramref name="arguments"/> (after <c>--threads 1</c>); returns exit code, stdout and stderr.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] arguments)
    {
        RequireTorch();
        return RunProcess(["-B", Script, "--threads", "1", .. arguments]);
    }

    /// <summary>Runs the reference's <c>forward</c> command and fails the test, with its stderr, if it does not succeed.</summary>
    public static void Forward(string packageDir, string inputs, string output)
    {
        (int code, string stdout, string stderr) = Run("forward", packageDir, inputs, output);
        Assert.True(code == 0, $"uvit_reference.py forward exited with {code}\nstdout: {stdout}\nstderr: {stderr}");
        Assert.True(File.Exists(output), $"uvit_reference.py forward wrote no {output}\nstdout: {stdout}");
    }

    private static string? FindTorchProblem()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} does not exist";
        }
        (int code, _, string stderr) = RunProcess(["-c", "import torch, numpy"]);
        return code == 0 ? null : $"{Python} cannot import torch and numpy (exit {code}): {stderr.Trim()}";
    }

    private static (int ExitCode, string Stdout, string Stderr) RunProcess(string[] arguments)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python}");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Python} {string.Join(' ', arguments)} did not finish within {Timeout.TotalSeconds} s");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static string FindRoot()
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
}
