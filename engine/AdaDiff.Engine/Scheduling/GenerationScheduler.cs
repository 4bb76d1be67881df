using System.Diagnostics;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Exits;
using AdaDiff.Engine.Internal;
using AdaDiff.Engine.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdaDiff.Engine.Scheduling;

/// <summary>
/// Runs the generations of one backend on one worker thread with step-level continuous batching. Each tick: admit
/// queued jobs (<see cref="Admit"/>: by rows, so that every running job's rows fit one pass of
/// <see cref="SchedulerOptions.MaxBatchRows"/>, at most <see cref="SchedulerOptions.MaxActiveJobs"/> of them, long
/// jobs within their share of the rows); gather the next step of every active job into one <see cref="DenoiseBatch"/>;
/// run it through the <see cref="AdaptiveDenoiser"/>; advance each job's sampler and emit its events. A job queued
/// while a pass runs is in the next one when its rows fit, and a running job is in every pass until it ends (unless
/// its reader falls behind). Cancelled jobs leave the batch before the next layer and their event channels complete
/// with an <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class GenerationScheduler : IAsyncDisposable
{
    /// <summary>How often a worker whose every job is paused for its reader looks again (they do not wake it).</summary>
    private static readonly TimeSpan PausedPollInterval = TimeSpan.FromMilliseconds(5);

    private readonly IDenoiserBackend backend;
    private readonly SchedulerOptions options;
    private readonly IGenerationObserver? observer;
    private readonly ILogger logger;
    private readonly NoiseSchedule schedule;
    private readonly ComputeLedger ledger;
    private readonly AdaptiveDenoiser denoiser;
    private readonly DenoiseBatch batch;
    private readonly Lock queueLock = new();
    private readonly Queue<GenerationJob> queue = new();
    private readonly List<GenerationJob> active = [];
    // Jobs in the current pass and their groups; at most MaxBatchRows entries (a job has ≥ 1 row).
    private readonly List<(GenerationJob Job, int Group)> inBatch = [];
    private readonly ManualResetEventSlim wake = new(false);
    private readonly CancellationTokenSource shutdown = new();
    private readonly Thread worker;
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long nextJobId;
    private int queueDepth;
    private int activeJobs;
    private int disposed; // guarded by queueLock

    /// <summary>Creates the scheduler and starts its worker thread. The backend stays owned by the caller.</summary>
    public GenerationScheduler(IDenoiserBackend backend, SchedulerOptions options, IGenerationObserver? observer = null, ILogger<GenerationScheduler>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.backend = backend;
        this.options = new SchedulerOptions
        {
            MaxBatchRows = options.MaxBatchRows,
            MaxQueuedJobs = options.MaxQueuedJobs,
            MaxActiveJobs = options.MaxActiveJobs,
            MaxUnreadEvents = options.MaxUnreadEvents,
            SlowReaderTimeout = options.SlowReaderTimeout,
            LongJobSteps = options.LongJobSteps,
            LongJobRows = options.LongJobRows,
        };
        this.observer = observer;
        this.logger = logger ?? (ILogger)NullLogger.Instance;
        ModelManifest manifest = backend.Manifest;
        schedule = new NoiseSchedule(manifest.NoiseSchedule);
        ledger = new ComputeLedger(manifest);
        denoiser = new AdaptiveDenoiser(backend);
        batch = new DenoiseBatch(manifest.ImageSize, this.options.MaxBatchRows, manifest.ConditionWidth);
        worker = new Thread(WorkerMain) { IsBackground = true, Name = $"adadiff-{manifest.Name}-{backend.Name}" };
        worker.Start();
        SchedulerLog.Started(this.logger, manifest.Name, backend.Name, this.options.MaxBatchRows, this.options.MaxActiveJobs, this.options.MaxQueuedJobs,
            this.options.EffectiveLongJobRows, this.options.LongJobSteps);
    }

    /// <summary>The backend this scheduler drives.</summary>
    public IDenoiserBackend Backend => backend;

    /// <summary>The model's noise schedule.</summary>
    public NoiseSchedule Schedule => schedule;

    /// <summary>The limits in force.</summary>
    public SchedulerOptions Options => options;

    /// <summary>Jobs waiting to start.</summary>
    public int QueueDepth => Volatile.Read(ref queueDepth);

    /// <summary>Jobs sampling.</summary>
    public int ActiveJobs => Volatile.Read(ref activeJobs);

    /// <summary>
    /// Queues a request; returns null when <see cref="SchedulerOptions.MaxQueuedJobs"/> jobs already wait.
    /// Throws <see cref="ArgumentException"/> (parameter name = the request field) if the request cannot run
    /// on this model (see <see cref="GenerationRequestValidator"/>). Cancelling <paramref name="cancellationToken"/>
    /// cancels the job. Its exits follow the served policy that <see cref="GenerationRequest.Exit"/> names.
    /// </summary>
    public GenerationJob? TryEnqueue(GenerationRequest request, CancellationToken cancellationToken) =>
        Enqueue(request, null, cancellationToken);

    /// <summary>
    /// Queues a request whose exits <paramref name="exitPolicy"/> decides in place of the served policy that
    /// <see cref="GenerationRequest.Exit"/> names (which is then not read): for policies the contract does not offer,
    /// run in process beside the served ones (the evaluation's comparison baselines). Otherwise as
    /// <see cref="TryEnqueue(GenerationRequest, CancellationToken)"/>; a policy that cannot run the request is refused
    /// with the parameter name "Exit" or "Exit.&lt;its field&gt;".
    /// </summary>
    public GenerationJob? TryEnqueue(GenerationRequest request, IExitPolicy exitPolicy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exitPolicy);
        return Enqueue(request, exitPolicy, cancellationToken);
    }

    private GenerationJob? Enqueue(GenerationRequest request, IExitPolicy? exitPolicy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (GenerationRequestValidator.Check(request, exitPolicy, backend.Manifest, options.MaxBatchRows) is { } violation)
        {
            throw new ArgumentException(violation.Message, violation.Field);
        }
        exitPolicy ??= ExitPolicy.Create(request.Exit);
        GenerationJob job;
        int queued;
        lock (queueLock)
        {
            ObjectDisposedException.ThrowIf(disposed != 0, this);
            if (queue.Count >= options.MaxQueuedJobs)
            {
                return null;
            }
            job = new GenerationJob(++nextJobId, request, exitPolicy, backend.Manifest, cancellationToken, shutdown.Token);
            queue.Enqueue(job);
            queued = queue.Count;
            Volatile.Write(ref queueDepth, queued);
        }
        // Wake the worker when the job arrives and when it is cancelled while the worker sleeps.
        job.CancellationToken.UnsafeRegister(static state => ((ManualResetEventSlim)state!).Set(), wake);
        observer?.Occupancy(queued, ActiveJobs);
        wake.Set();
        return job;
    }

    /// <summary>Cancels every job, stops the worker and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (queueLock)
        {
            if (disposed != 0)
            {
                return;
            }
            disposed = 1;
        }
        await shutdown.CancelAsync();
        wake.Set();
        await stopped.Task;
        // The worker has stopped and no job can be enqueued any more: nothing is left in the queue.
        shutdown.Dispose();
        wake.Dispose();
        SchedulerLog.Stopped(logger, backend.Manifest.Name);
    }

    private void WorkerMain()
    {
        try
        {
            while (true)
            {
                wake.Reset();
                if (shutdown.IsCancellationRequested)
                {
                    // Job tokens are linked to the shutdown, but CancelAsync may not have reached them yet.
                    CancelAll();
                    break;
                }
                Admit();
                if (active.Count == 0)
                {
                    wake.Wait();
                    continue;
                }
                Tick();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            SchedulerLog.WorkerCrashed(logger, e, backend.Manifest.Name);
            FailAll(e);
        }
        finally
        {
            stopped.TrySetResult();
        }
    }

    /// <summary>
    /// Drops cancelled jobs from the queue and starts queued jobs, in queue order, while their rows fit beside the
    /// rows of the active ones (paused ones included: they keep their place) and fewer than
    /// <see cref="SchedulerOptions.MaxActiveJobs"/> run. Two rules keep it fair both ways:
    /// <list type="bullet">
    /// <item>A job that does not fit the rows left waits, and so does every job behind it: a stream of small jobs
    /// cannot keep taking the rows a larger one ahead of them waits for.</item>
    /// <item>Long jobs (more than <see cref="SchedulerOptions.LongJobSteps"/> steps left) hold at most
    /// <see cref="SchedulerOptions.EffectiveLongJobRows"/> rows together (one long job may exceed it when it is the
    /// only one). A long job past that share waits until a running one is down to its last
    /// <see cref="SchedulerOptions.LongJobSteps"/> steps (long jobs keep their order among themselves), and shorter
    /// jobs behind it go ahead, so that no short job waits for a long job's whole run.</item>
    /// </list>
    /// Then the job at the head of the queue, when its rows fit beside the long share (and, if it is long, the share has
    /// room), waits only for jobs that are not long to end: at most <see cref="SchedulerOptions.LongJobSteps"/> ticks
    /// while no reader falls behind.
    /// </summary>
    private void Admit()
    {
        int rows = 0;
        int longRows = 0;
        foreach (GenerationJob job in active)
        {
            int jobRows = job.Request.RowsPerStep;
            rows += jobRows;
            if (IsLong(job.Request.Steps - job.StepsDone))
            {
                longRows += jobRows;
            }
        }
        int queued;
        int cancelledQueued = 0;
        int admitted = 0;
        lock (queueLock)
        {
            bool rowsFull = false;
            bool longShareFull = false;
            int count = queue.Count;
            for (int i = 0; i < count; i++)
            {
                // Every job is looked at once, in order; those that stay go back in the same order.
                GenerationJob job = queue.Dequeue();
                if (job.CancellationToken.IsCancellationRequested)
                {
                    // Queued jobs that were cancelled leave the queue at once, wherever they are in it.
                    FinishCancelled(job);
                    cancelledQueued++;
                    continue;
                }
                if (!rowsFull && active.Count < options.MaxActiveJobs)
                {
                    int jobRows = job.Request.RowsPerStep;
                    bool isLong = IsLong(job.Request.Steps);
                    if (isLong && (longShareFull || (longRows > 0 && longRows + jobRows > options.EffectiveLongJobRows)))
                    {
                        longShareFull = true;
                    }
                    else if (rows + jobRows > options.MaxBatchRows)
                    {
                        rowsFull = true;
                    }
                    else
                    {
                        job.Start(schedule);
                        active.Add(job);
                        rows += jobRows;
                        longRows += isLong ? jobRows : 0;
                        admitted++;
                        continue;
                    }
                }
                queue.Enqueue(job);
            }
            queued = queue.Count;
            Volatile.Write(ref queueDepth, queued);
        }
        Volatile.Write(ref activeJobs, active.Count);
        if (cancelledQueued > 0 || admitted > 0)
        {
            observer?.Occupancy(queued, active.Count);
        }
    }

    private bool IsLong(int stepsLeft) => stepsLeft > options.LongJobSteps;

    private void Tick()
    {
        DropCancelledActive();
        long tickStartedAt = Stopwatch.GetTimestamp();
        PauseBackloggedJobs(tickStartedAt);
        batch.Clear();
        inBatch.Clear();
        // Admission keeps the rows of the active jobs within a pass: every job that is not paused takes its step.
        foreach (GenerationJob job in active)
        {
            if (job.PausedSince != 0)
            {
                continue;
            }
            inBatch.Add((job, job.AddTo(batch)));
            job.MarkTick(tickStartedAt);
        }
        if (inBatch.Count == 0)
        {
            // Every active job waits for its reader: look again shortly (or at once when a job arrives or is
            // cancelled), rather than spinning. A reader draining its events does not wake the worker.
            wake.Wait(PausedPollInterval);
            return;
        }

        DenoisePass pass;
        try
        {
            pass = denoiser.Run(batch);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (inBatch.Count == 1)
            {
                SchedulerLog.PassFailed(logger, e, batch.Rows, 1);
                Fail(inBatch[0].Job, e);
                RemoveFinished();
                return;
            }
            // One job's rows may be what the backend cannot run: run each job alone, so that only the jobs whose
            // own pass fails end (with that pass's exception) and the others take their step.
            SchedulerLog.PassFailedIsolating(logger, e, batch.Rows, inBatch.Count);
            RunEachAlone(tickStartedAt);
            RemoveFinished();
            return;
        }
        AdvanceAll(pass, tickStartedAt);
        RemoveFinished();
    }

    /// <summary>Advances every job of <see cref="inBatch"/> by the results of <paramref name="pass"/>.</summary>
    private void AdvanceAll(DenoisePass pass, long tickStartedAt)
    {
        observer?.NetworkPass(pass.Rows, pass.RowLayers, pass.Seconds);
        double secondsPerLayer = pass.RowLayers > 0 ? pass.Seconds / pass.RowLayers : 0;

        foreach ((GenerationJob job, int group) in inBatch)
        {
            if (job.CancellationToken.IsCancellationRequested || batch.ImageExitLayer(batch.GroupFirstImage(group)) == 0)
            {
                FinishCancelled(job);
                continue;
            }
            try
            {
                if (job.Advance(batch, group, ledger, observer, secondsPerLayer, tickStartedAt))
                {
                    SchedulerLog.JobCompleted(logger, job.Id, job.SecondsSinceEnqueue);
                    job.Dispose();
                }
                else if (job.StepsDone == 1)
                {
                    SchedulerLog.JobStarted(logger, job.Id, job.SecondsSinceEnqueue);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Fail(job, e);
            }
        }
    }

    /// <summary>After a failed shared pass: each job of the tick in a pass of its own; a job whose own pass fails ends.</summary>
    private void RunEachAlone(long tickStartedAt)
    {
        // inBatch is reused for each single-job pass: keep the tick's jobs aside (at most MaxActiveJobs).
        GenerationJob[] jobs = new GenerationJob[inBatch.Count];
        for (int i = 0; i < jobs.Length; i++)
        {
            jobs[i] = inBatch[i].Job;
        }
        foreach (GenerationJob job in jobs)
        {
            if (job.IsFinished)
            {
                continue;
            }
            batch.Clear();
            inBatch.Clear();
            inBatch.Add((job, job.AddTo(batch)));
            DenoisePass alone;
            try
            {
                alone = denoiser.Run(batch);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                SchedulerLog.PassFailed(logger, e, batch.Rows, 1);
                Fail(job, e);
                continue;
            }
            AdvanceAll(alone, tickStartedAt);
        }
        inBatch.Clear();
    }

    /// <summary>
    /// Pauses the jobs whose readers left <see cref="SchedulerOptions.MaxUnreadEvents"/> events unread (they stay
    /// active but sit out this tick) and ends those paused for longer than <see cref="SchedulerOptions.SlowReaderTimeout"/>.
    /// </summary>
    private void PauseBackloggedJobs(long now)
    {
        if (options.MaxUnreadEvents == 0)
        {
            return;
        }
        bool ended = false;
        foreach (GenerationJob job in active)
        {
            int unread = job.UnreadEvents;
            if (unread < options.MaxUnreadEvents)
            {
                job.PausedSince = 0;
                continue;
            }
            if (job.PausedSince == 0)
            {
                job.PausedSince = now;
                continue;
            }
            TimeSpan paused = Stopwatch.GetElapsedTime(job.PausedSince, now);
            if (options.SlowReaderTimeout is { } limit && paused > limit)
            {
                var error = new SlowReaderException($"The client read none of the last {unread} events for {paused.TotalSeconds:0} s; the generation was stopped to free its memory.")
                {
                    PausedSeconds = paused.TotalSeconds,
                    UnreadEvents = unread,
                };
                if (job.FinishSlowReader(error))
                {
                    SchedulerLog.JobEndedSlowReader(logger, job.Id, unread, paused.TotalSeconds);
                    observer?.JobFinished(false, job.Request.NumImages, job.SecondsSinceEnqueue);
                    job.Dispose();
                    ended = true;
                }
            }
        }
        if (ended)
        {
            RemoveFinished();
        }
    }

    private void DropCancelledActive()
    {
        bool any = false;
        foreach (GenerationJob job in active)
        {
            if (job.CancellationToken.IsCancellationRequested)
            {
                any |= FinishCancelled(job);
            }
        }
        if (any)
        {
            RemoveFinished();
        }
    }

    private void RemoveFinished()
    {
        int removed = active.RemoveAll(static job => job.IsFinished);
        if (removed > 0)
        {
            // The gauges first: whoever reads ActiveJobs == 0 (a drain, a test waiting for idle) then sees them at 0 too.
            observer?.Occupancy(QueueDepth, active.Count);
            Volatile.Write(ref activeJobs, active.Count);
        }
    }

    private bool FinishCancelled(GenerationJob job)
    {
        if (!job.FinishCancelled())
        {
            return false;
        }
        SchedulerLog.JobCancelled(logger, job.Id, job.StepsDone);
        observer?.JobFinished(false, job.Request.NumImages, job.SecondsSinceEnqueue);
        job.Dispose();
        return true;
    }

    private void Fail(GenerationJob job, Exception e)
    {
        if (job.Finish(e))
        {
            SchedulerLog.JobFailed(logger, e, job.Id);
            observer?.JobFinished(false, job.Request.NumImages, job.SecondsSinceEnqueue);
            job.Dispose();
        }
    }

    private void CancelAll()
    {
        lock (queueLock)
        {
            while (queue.Count > 0)
            {
                FinishCancelled(queue.Dequeue());
            }
            Volatile.Write(ref queueDepth, 0);
        }
        foreach (GenerationJob job in active)
        {
            FinishCancelled(job);
        }
        active.Clear();
        Volatile.Write(ref activeJobs, 0);
        observer?.Occupancy(0, 0);
    }

    private void FailAll(Exception e)
    {
        lock (queueLock)
        {
            while (queue.Count > 0)
            {
                Fail(queue.Dequeue(), e);
            }
            Volatile.Write(ref queueDepth, 0);
        }
        foreach (GenerationJob job in active)
        {
            Fail(job, e);
        }
        active.Clear();
        Volatile.Write(ref activeJobs, 0);
    }
}
