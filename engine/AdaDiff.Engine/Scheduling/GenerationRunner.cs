using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Exits;

namespace AdaDiff.Engine.Scheduling;

/// <summary>Runs single requests to completion, for tools and tests (the server uses <see cref="GenerationScheduler"/>).</summary>
public static class GenerationRunner
{
    /// <summary>
    /// Runs <paramref name="request"/> alone on <paramref name="backend"/> through a private scheduler and
    /// collects its events. Throws what the job threw, or <see cref="OperationCanceledException"/>.
    /// </summary>
    public static Task<GenerationRun> RunAsync(IDenoiserBackend backend, GenerationRequest request, CancellationToken cancellationToken = default) =>
        RunAsync(backend, request, null, cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync(IDenoiserBackend, GenerationRequest, CancellationToken)"/>, with <paramref name="exitPolicy"/>
    /// deciding the exits when it is not null (see <see cref="GenerationScheduler.TryEnqueue(GenerationRequest, IExitPolicy, CancellationToken)"/>).
    /// </summary>
    public static async Task<GenerationRun> RunAsync(IDenoiserBackend backend, GenerationRequest request, IExitPolicy? exitPolicy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(request);
        var options = new SchedulerOptions { MaxBatchRows = Math.Max(request.RowsPerStep, 1), MaxQueuedJobs = 1, MaxActiveJobs = 1 };
        await using var scheduler = new GenerationScheduler(backend, options);
        #pragma warning disable CA2000 // the scheduler disposes a job when it finishes
        GenerationJob job = (exitPolicy is null ? scheduler.TryEnqueue(request, cancellationToken) : scheduler.TryEnqueue(request, exitPolicy, cancellationToken))
            ?? throw new InvalidOperationException("a fresh scheduler refused its only job");
        #pragma warning restore CA2000
        return await CollectAsync(job, cancellationToken);
    }

    /// <summary>Reads every event of <paramref name="job"/> to its end.</summary>
    public static async Task<GenerationRun> CollectAsync(GenerationJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var steps = new List<StepCompleted>(job.Request.Steps);
        GenerationCompleted? completed = null;
        await foreach (GenerationEvent e in job.Events.ReadAllAsync(cancellationToken))
        {
            switch (e)
            {
                case StepCompleted step:
                    steps.Add(step);
                    break;
                case GenerationCompleted done:
                    completed = done;
                    break;
            }
        }
        return new GenerationRun(steps, completed ?? throw new InvalidOperationException("the job ended without a result"));
    }
}
