using AdaDiff.ServingBenchmarks;
using AdaDiff.ServingBenchmarks.Runner;

namespace AdaDiff.ServingBenchmarks.Tests;

/// <summary>
/// The in-process path's runner as the benchmark starts it: a child process of this program that refuses bad
/// arguments with the reason, whose failures reach the benchmark with its stderr, and which measures a configuration
/// on the shipped model (TorchSharp, which loads the committed weights as they are) with its CPU time.
/// </summary>
public sealed class RunnerProcessTests
{
    private static readonly TimeSpan Load = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Start_UnknownBackend_FailsWithTheRunnersReason()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RunnerProcess.StartAsync(RunnerProcess.OwnDll, "tensorflow", ShippedModel(), 1, null, Load, CancellationToken.None));

        Assert.Contains("the tensorflow runner exited with code 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("--backend must be onnxruntime or torchsharp; was 'tensorflow'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_MissingPackage_SurfacesTheRunnersStderr()
    {
        string missing = Path.Combine(Path.GetTempPath(), "adadiff-no-such-package-" + Guid.NewGuid().ToString("N"));
        var forwarded = new StringWriter();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RunnerProcess.StartAsync(RunnerProcess.OwnDll, "torchsharp", missing, 1, forwarded, Load, CancellationToken.None));

        Assert.Contains("exited with code 2", e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(missing, "model.json") + " not found (--package)", e.Message, StringComparison.Ordinal);
        Assert.Equal($"bench: torchsharp runner: adadiff-serving-bench runner: {Path.Combine(missing, "model.json")} not found (--package)\n",
            forwarded.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_MissingDll_SaysSo()
    {
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() =>
            RunnerProcess.StartAsync("/nonexistent/adadiff-serving-bench.dll", "torchsharp", ShippedModel(), 1, null, Load, CancellationToken.None));

        Assert.Contains("/nonexistent/adadiff-serving-bench.dll not found", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("onnx", 2, "--backend must be onnxruntime or torchsharp; was 'onnx'")]
    [InlineData("torchsharp", 0, "--threads must be 1..1024; was 0")]
    public async Task RunAsync_BadArguments_Exit2WithTheReason(string backend, int threads, string reason)
    {
        var output = new StringWriter();
        var log = new StringWriter();

        int code = await RunnerHost.RunAsync(backend, ShippedModel(), threads, new StringReader(""), output, log, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Equal($"adadiff-serving-bench runner: {reason}\n", log.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Empty(output.ToString());
    }

    [Fact]
    public async Task Runner_TorchSharp_RefusesOutOfOrderRequests_ThenMeasuresWithItsCpu()
    {
        BenchSettings settings = Synthetic.Result(Synthetic.Options(quick: true), Synthetic.Plausible).Settings with
        {
            Steps = 2,
            Threads = 1,
            MaxActiveJobs = 2,
            MaxBatchRows = 4,
        };
        var config = new BenchConfig { Path = BenchPath.InProcess, Backend = "torchsharp", Mode = "full", Streams = 2, CallsPerStream = 1 };
        await using RunnerProcess runner = await RunnerProcess.StartAsync(RunnerProcess.OwnDll, "torchsharp", ShippedModel(), 1, null, Load, CancellationToken.None);

        Assert.NotEqual(Environment.ProcessId, runner.ProcessId);
        var early = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            runner.RequestAsync(new RunnerRequest { Op = RunnerOp.Measure, Settings = settings, Config = config }, CancellationToken.None));
        Assert.Contains("the torchsharp runner could not measure inprocess/torchsharp/full/2: InvalidOperationException: measure before start", early.Message, StringComparison.Ordinal);

        await runner.RequestAsync(new RunnerRequest { Op = RunnerOp.Start, Settings = settings }, CancellationToken.None);
        var served = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            runner.RequestAsync(new RunnerRequest { Op = RunnerOp.Measure, Settings = settings, Config = config with { Path = BenchPath.Server } }, CancellationToken.None));
        Assert.Contains("in-process configurations only; was server/torchsharp/full/2", served.Message, StringComparison.Ordinal);

        RunnerReply reply = await runner.RequestAsync(new RunnerRequest { Op = RunnerOp.Measure, Settings = settings, Config = config, Round = 0, SeedBase = 1 }, CancellationToken.None);

        Measurement m = reply.Measurement!;
        Assert.Equal(("inprocess/torchsharp/full/2", 0, 2), (m.Config, m.Errors, m.Images));
        Assert.Equal(13, m.MeanExitLayer, 9);
        Assert.True(m.ServerCpuSeconds > 0, $"runner CPU {m.ServerCpuSeconds}");
        Assert.True(double.IsNaN(m.ClientCpuSeconds));
        Assert.True(m.MachineCpuSeconds >= 0, $"machine CPU {m.MachineCpuSeconds}");
        Assert.True(runner.CpuSeconds >= m.ServerCpuSeconds);
    }

    [Fact]
    public void MessageOf_LibtorchWarning_LosesItsTimestampedPrefix_SoRepeatsForwardOnce()
    {
        string a = RunnerProcess.MessageOf("[W1202 06:35:46.178012232 NNPACK.cpp:56] Could not initialize NNPACK! Reason: Unsupported hardware.");
        string b = RunnerProcess.MessageOf("[W1202 06:35:47.001 NNPACK.cpp:56] Could not initialize NNPACK! Reason: Unsupported hardware.");

        Assert.Equal("Could not initialize NNPACK! Reason: Unsupported hardware.", a);
        Assert.Equal(a, b);
        Assert.Equal("plain line", RunnerProcess.MessageOf("plain line"));
        Assert.Equal("[no closing bracket", RunnerProcess.MessageOf("[no closing bracket"));
    }

    /// <summary>The committed model package, found above the test's folder.</summary>
    private static string ShippedModel()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "models", "fashion-mnist-uvit");
            if (File.Exists(Path.Combine(candidate, "model.json")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("models/fashion-mnist-uvit not found above " + AppContext.BaseDirectory);
    }
}
