using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Scheduling;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// The in-process path: the engine's <see cref="GenerationScheduler"/> on a backend loaded in this process (the backend's runner, <see cref="Runner.RunnerHost"/>), with the
/// server's scheduler limits, fed the same concurrent generations as the server path (one image each, the same
/// settings, every step's latent and, with previews, x̂₀), each stream reading its events to the end. What the server
/// adds on top (protobuf, HTTP/2, PNG previews, the client's reading) is the serving overhead.
/// </summary>
internal sealed class InProcessRunner : IAsyncDisposable
{
    private readonly GenerationScheduler scheduler;

    public InProcessRunner(IDenoiserBackend backend, BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(settings);
        BackendWarmup.Run(backend); // as the server does at load
        scheduler = new GenerationScheduler(backend, new SchedulerOptions
        {
            MaxActiveJobs = settings.MaxActiveJobs,
            MaxBatchRows = settings.MaxBatchRows,
            MaxQueuedJobs = settings.MaxQueuedJobs,
            MaxUnreadEvents = settings.MaxUnreadEvents,
        });
        Backend = backend;
    }

    public IDenoiserBackend Backend { get; }

    /// <summary>What the server's validator resolves the server path's request to (model defaults filled in).</summary>
    public static GenerationRequest Request(BenchConfig config, BenchSettings settings, ulong seed) => new()
    {
        NumImages = 1,
        Seed = seed,
        Sampler = SamplerKind.Ddim,
        Steps = settings.Steps,
        ClassLabel = settings.ClassLabel,
        GuidanceScale = settings.Guidance,
        Exit = new ExitPolicySettings(config.Mode == "full" ? ExitMode.FullDepth : ExitMode.Adaptive, settings.Threshold, settings.MinLayers, 0),
        LatentEveryNSteps = 1,
        PreviewEveryNSteps = config.Previews ? 1 : 0,
    };

    public Task<Measurement> RunAsync(BenchConfig config, BenchSettings settings, int round, ulong seedBase, Func<double> loadAverage, CancellationToken cancel) =>
        CallRecorder.MeasureAsync(config, settings, round, seedBase, loadAverage, (seed, recorder) => CallAsync(Request(config, settings, seed), recorder, cancel), cancel);

    private async Task CallAsync(GenerationRequest request, CallRecorder recorder, CancellationToken cancel)
    {
        var timing = new CallTiming();
        // A reader that gives up cancels its job, or the job would hold its slot, paused for a reader that is gone.
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        GenerationJob? job;
        while ((job = scheduler.TryEnqueue(request, call.Token)) is null)
        {
            await Task.Delay(10, cancel); // the queue is full (more streams than MaxQueuedJobs + MaxActiveJobs): as a client retrying
        }
        // the scheduler disposes the job when it ends (as for the server's calls)
        bool done = false;
        double latency = double.NaN;
        try
        {
            await foreach (GenerationEvent e in job.Events.ReadAllAsync(cancel))
            {
                switch (e)
                {
                    case StepCompleted step:
                        if (step.Latent is null || (request.PreviewEveryNSteps > 0 && step.PredictedX0 is null))
                        {
                            recorder.Failed($"step {step.StepIndex} lacked its latent or x̂₀");
                            await call.CancelAsync();
                            return;
                        }
                        timing.Step(step.Compute.LayersExecuted, step.Compute.LayersFull);
                        break;
                    case GenerationCompleted completed:
                        latency = timing.Elapsed();
                        done = completed.Seeds.Length == 1;
                        break;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            recorder.Failed($"{e.GetType().Name}: {e.Message}");
            return;
        }
        if (!done || timing.Steps != request.Steps)
        {
            recorder.Failed($"the generation ended after {timing.Steps} of {request.Steps} steps {(done ? "with" : "without")} its image");
            return;
        }
        recorder.Completed(timing, 1, latency);
    }

    public ValueTask DisposeAsync() => scheduler.DisposeAsync();
}
