using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// The PyTorch reference (<c>reference/uvit_reference.py sample</c>, Debian's torch 1.13) on the same package and
/// settings, a process per configuration; images/s is the reference's own figure for its sampling loop (the import and
/// the weights' load excluded). Fairly configured when it can be (<c>scripts/fair-pytorch.sh</c>): Debian's
/// libopenblas0-openmp, which shares torch's OpenMP threads, and OpenBLAS's AVX-512 kernels, after a check that its
/// results match the machine's default configuration.
/// </summary>
internal sealed class PyTorchRunner(string root, PyTorchSetup setup)
{
    public const string Python = "/usr/bin/python3";
    public const string Script = "scripts/fair-pytorch.sh";

    public PyTorchSetup Setup => setup;

    /// <summary>Decides the configuration: runs the fair configuration's check unless told to run the default.</summary>
    public static async Task<PyTorchRunner> CreateAsync(string root, PyTorchChoice choice, string package, int threads, TextWriter log, CancellationToken cancel)
    {
        if (!File.Exists(Python))
        {
            throw new FileNotFoundException($"{Python} not found: the PyTorch baseline needs Debian's python3-torch (scripts/setup.sh), or pass --pytorch none");
        }
        if (choice == PyTorchChoice.Default)
        {
            return new PyTorchRunner(root, DefaultAsAsked());
        }
        log.WriteLine($"bench: PyTorch: checking the fair configuration ({Script} --check)");
        (int code, string stdout, string stderr) = await RunAsync(root, "bash", [Script, "--check", package, threads.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(10), cancel);
        foreach (string line in stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            log.WriteLine("  " + line);
        }
        string? json = LastJsonLine(stdout);
        if (code == 0 && json is not null)
        {
            return new PyTorchRunner(root, Fair(json, root));
        }
        string why = WhyNotFair(code, json, stderr);
        if (choice == PyTorchChoice.Fair)
        {
            throw new InvalidOperationException($"the fair PyTorch configuration cannot run: {why}");
        }
        log.WriteLine($"bench: PyTorch: falling back to the default configuration: the fair one cannot run: {why}");
        return new PyTorchRunner(root, DefaultAsFallback(why));
    }

    /// <summary>The machine's default configuration, asked for with <c>--pytorch default</c>.</summary>
    private static PyTorchSetup DefaultAsAsked() => new()
    {
        Fair = false,
        Reason = "the machine's default configuration, as asked (--pytorch default): libopenblas0's pthread OpenBLAS beside torch's OpenMP threads oversubscribes the cores, so this is not a fair baseline",
        Command = Python,
    };

    /// <summary>The machine's default configuration, because the fair one's check failed for <paramref name="why"/>.</summary>
    private static PyTorchSetup DefaultAsFallback(string why) => new()
    {
        Fair = false,
        Reason = $"the machine's default configuration, because the fair one cannot run: {why}. The default (libopenblas0's pthread OpenBLAS beside torch's OpenMP threads) oversubscribes the cores: not a fair baseline",
        Command = Python,
    };

    /// <summary>
    /// The fair configuration, with the figures of its passed check (<paramref name="json"/>: the check's last JSON line);
    /// the libraries it loaded are recorded relative to the repository <paramref name="root"/> where they lie in it.
    /// </summary>
    private static PyTorchSetup Fair(string json, string root)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement r = doc.RootElement;
        double forward = r.GetProperty("forwardMaxAbsDiff").GetDouble();
        double images = r.GetProperty("imageMaxAbsDiff").GetDouble();
        double defaultSeconds = r.GetProperty("default").GetProperty("seconds").GetDouble();
        double fairSeconds = r.GetProperty("fair").GetProperty("seconds").GetDouble();
        string[] blas = [.. r.GetProperty("fair").GetProperty("blas").EnumerateArray().Select(b => InRepository(b.GetString() ?? "", root))];
        return new PyTorchSetup
        {
            Fair = true,
            Reason = string.Create(CultureInfo.InvariantCulture,
                $"the fair configuration (Debian's libopenblas0-openmp, extracted by {Script}, first on LD_LIBRARY_PATH, and OPENBLAS_CORETYPE=SkylakeX): the machine's libopenblas0 is the pthread build, whose threads oversubscribe the cores beside torch's OpenMP ones; the openmp build shares them. Its results matched the default configuration's (forward max |Δ| {forward:0.0e+0}, images after 5 DDIM steps {images:0.0e+0}); the check's workload took {fairSeconds:F2} s against {defaultSeconds:F2} s in the default configuration"),
            Blas = blas,
            ForwardMaxAbsDiff = forward,
            ImageMaxAbsDiff = images,
            DefaultCheckSeconds = defaultSeconds,
            FairCheckSeconds = fairSeconds,
            Command = $"bash {Script}",
        };
    }

    private static string InRepository(string path, string root)
    {
        string relative = Path.IsPathRooted(path) ? Path.GetRelativePath(root, path) : path;
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }

    /// <summary>Why the fair configuration's check failed, from its exit code (1: results differ, 3: no libopenblas0-openmp).</summary>
    private static string WhyNotFair(int code, string? json, string stderr) => code switch
    {
        1 => "its results did not match the default configuration's (" + (json ?? "no figures") + ")",
        3 => "libopenblas0-openmp could not be fetched (" + LastLine(stderr) + ")",
        _ => $"its check failed with exit code {code} (" + LastLine(stderr) + ")",
    };

    public async Task<Measurement> RunAsync(BenchConfig config, BenchSettings settings, string package, int round, ulong seed, Func<double> loadAverage, CancellationToken cancel)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        List<string> args =
        [
            "reference/uvit_reference.py", "--threads", settings.Threads.ToString(inv), "sample", package,
            "--images", config.Images.ToString(inv), "--batch", config.Streams.ToString(inv), "--steps", settings.Steps.ToString(inv),
            "--seed", seed.ToString(inv), "--label", settings.ClassLabel.ToString(inv), "--guidance", settings.Guidance.ToString(inv),
            "--mode", config.Mode, "--threshold", settings.Threshold.ToString("R", inv), "--min-layers", settings.MinLayers.ToString(inv),
        ];
        (string file, List<string> argv) = setup.Fair ? ("bash", [Script, .. args]) : (Python, args);
        var wall = Stopwatch.StartNew();
        (int code, string stdout, string stderr) = await RunAsync(root, file, argv, TimeSpan.FromMinutes(10), cancel);
        string? json = LastJsonLine(stdout);
        if (code != 0 || json is null)
        {
            return new Measurement
            {
                Config = config.Key,
                Round = round,
                WallSeconds = wall.Elapsed.TotalSeconds,
                Images = 0,
                ImagesPerSecond = double.NaN,
                Errors = 1,
                FirstError = $"exit code {code}: {LastLine(stderr)}",
                LoadAverage = loadAverage(),
            };
        }
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement r = doc.RootElement;
        double seconds = r.GetProperty("seconds").GetDouble();
        return new Measurement
        {
            Config = config.Key,
            Round = round,
            WallSeconds = seconds,
            Images = config.Images,
            ImagesPerSecond = config.Images / seconds,
            MeanExitLayer = r.GetProperty("mean_exit_layer").GetDouble(),
            LoadAverage = loadAverage(),
        };
    }

    /// <summary>The last line of a script's output that holds a JSON object, or null.</summary>
    private static string? LastJsonLine(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.TrimStart().StartsWith('{'));

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "no output";

    /// <summary>Runs a process in <paramref name="root"/> to its end (killed after <paramref name="timeout"/>).</summary>
    internal static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string root, string file, IEnumerable<string> args, TimeSpan timeout, CancellationToken cancel)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancel);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancel);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            if (cancel.IsCancellationRequested)
            {
                throw;
            }
            return (124, await stdout, $"timed out after {timeout.TotalSeconds:F0} s\n" + await stderr);
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
