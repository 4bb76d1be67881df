using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Scheduling;

namespace AdaDiff.ServingBenchmarks.Runner;

/// <summary>
/// The runner process (<c>adadiff-serving-bench runner --backend … --package … --threads …</c>): one backend loaded in
/// a process that holds nothing else, the engine's scheduler on it, and the benchmark's in-process work done on
/// request (<see cref="RunnerProtocol"/>). TorchSharp's OpenMP pool and ONNX Runtime's threads then share the cores
/// with nothing of the benchmark's own: the benchmark process holds no backend, so its client and an idle server are
/// all that is beside it.
/// </summary>
internal sealed class RunnerHost : IAsyncDisposable
{
    public static readonly string[] BackendNames = ["onnxruntime", "torchsharp"];

    private readonly IDenoiserBackend backend;
    private InProcessRunner? scheduler;

    private RunnerHost(IDenoiserBackend backend) => this.backend = backend;

    /// <summary>
    /// Runs the runner: checks its arguments (exit 2 with the reason on <paramref name="log"/>), loads the backend
    /// (exit 1 with the reason when it cannot), says ready, then answers requests from <paramref name="input"/> until
    /// <see cref="RunnerOp.Quit"/> or the end of the input (exit 0).
    /// </summary>
    public static async Task<int> RunAsync(string backendName, string package, int threads, TextReader input, TextWriter output, TextWriter log, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(log);
        if (Problem(backendName, package, threads) is { } problem)
        {
            await log.WriteLineAsync($"adadiff-serving-bench runner: {problem}");
            return 2;
        }
        IDenoiserBackend loaded;
        try
        {
            loaded = backendName == "torchsharp"
                ? TorchSharpBackend.Load(package, new TorchSharpBackendOptions { Threads = threads })
                : OnnxBackend.Load(package, new OnnxBackendOptions { Threads = threads });
        }
        catch (Exception e) when (e is not OperationCanceledException) // whatever the backend throws: the reason goes to stderr, where the benchmark shows it
        {
            await log.WriteLineAsync($"adadiff-serving-bench runner: cannot load {backendName} from {package}: {e.GetType().Name}: {e.Message}");
            return 1;
        }
        await using var host = new RunnerHost(loaded);
        await Send(output, new RunnerReply { Ready = backendName, ProcessId = Environment.ProcessId });
        while (await input.ReadLineAsync(cancel) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }
            RunnerReply reply;
            bool quit = false;
            try
            {
                RunnerRequest request = RunnerProtocol.ParseRequest(line);
                quit = request.Op == RunnerOp.Quit;
                reply = quit ? new RunnerReply() : await host.AnswerAsync(request, cancel);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
            {
                reply = new RunnerReply { Error = $"{e.GetType().Name}: {e.Message}" };
            }
            await Send(output, reply);
            if (quit)
            {
                break;
            }
        }
        return 0;
    }

    /// <summary>What is wrong with the runner's arguments, or null.</summary>
    internal static string? Problem(string backendName, string package, int threads)
    {
        if (!BackendNames.Contains(backendName, StringComparer.Ordinal))
        {
            return $"--backend must be {string.Join(" or ", BackendNames)}; was '{backendName}'";
        }
        if (threads is < 1 or > 1024)
        {
            return $"--threads must be 1..1024; was {threads}";
        }
        if (!File.Exists(Path.Combine(package, "model.json")))
        {
            return $"{Path.Combine(package, "model.json")} not found (--package)";
        }
        return null;
    }

    private async Task<RunnerReply> AnswerAsync(RunnerRequest request, CancellationToken cancel)
    {
        switch (request.Op)
        {
            case RunnerOp.Limits:
            {
                IReadOnlyList<PassTiming> timings = BatchSizing.Measure(backend, request.Count);
                BatchLimits derived = BatchSizing.Choose(timings, request.Rows, request.Count);
                return new RunnerReply { Limits = new DerivedLimits(derived.MaxBatchRows, derived.KneeRows, BatchSizing.Describe(timings)) };
            }
            case RunnerOp.Start:
                if (scheduler is not null)
                {
                    throw new InvalidOperationException("the scheduler is already started");
                }
                scheduler = new InProcessRunner(backend, Need(request.Settings, "settings"));
                return new RunnerReply();
            case RunnerOp.Measure:
            {
                InProcessRunner running = scheduler ?? throw new InvalidOperationException("measure before start");
                BenchConfig config = Need(request.Config, "config");
                if (config.Path != BenchPath.InProcess)
                {
                    throw new InvalidOperationException($"the runner measures in-process configurations only; was {config.Key}");
                }
                double cpu = CpuClock.Self();
                double busy = CpuClock.MachineBusy();
                Measurement m = await running.RunAsync(config, Need(request.Settings, "settings"), request.Round, request.SeedBase, BenchRunner.LoadAverage, cancel);
                // the runner does all of the configuration's work: the scheduler, the backend and every stream's reader
                return new RunnerReply { Measurement = m with { ServerCpuSeconds = CpuClock.Self() - cpu, MachineCpuSeconds = CpuClock.MachineBusy() - busy } };
            }
            case RunnerOp.Pass:
                return new RunnerReply { Seconds = await PeakProbe.PassSecondsAsync(backend, Need(request.Settings, "settings"), request.Rows, request.Count, cancel) };
            default:
                throw new InvalidOperationException($"unknown request {request.Op}");
        }
    }

    private static T Need<T>(T? value, string name) where T : class =>
        value ?? throw new InvalidOperationException($"the request lacks its {name}");

    private static async Task Send(TextWriter output, RunnerReply reply)
    {
        await output.WriteLineAsync(RunnerProtocol.Reply(reply));
        await output.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (scheduler is not null)
        {
            await scheduler.DisposeAsync();
        }
        backend.Dispose();
    }
}
