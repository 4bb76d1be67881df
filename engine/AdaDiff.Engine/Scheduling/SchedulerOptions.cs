namespace AdaDiff.Engine.Scheduling;

/// <summary>Limits of a <see cref="GenerationScheduler"/>.</summary>
public sealed class SchedulerOptions
{
    /// <summary>
    /// Most network rows in one pass (an image is 1 row, 2 with classifier-free guidance); a job needs all its rows in
    /// one pass. Jobs are admitted while the rows of the active ones fit it, so every running job is in every pass.
    /// <see cref="BatchSizing"/> derives it from the device.
    /// </summary>
    public int MaxBatchRows { get; set; } = 64;

    /// <summary>Most jobs waiting to start; <see cref="GenerationScheduler.TryEnqueue(GenerationRequest, CancellationToken)"/> returns null beyond it.</summary>
    public int MaxQueuedJobs { get; set; } = 32;

    /// <summary>
    /// Most jobs sampling at once (their steps share batches), besides the rows they need. A job has at least one row,
    /// so at <see cref="MaxBatchRows"/> (the default) the rows alone bound admission.
    /// </summary>
    public int MaxActiveJobs { get; set; } = 64;

    /// <summary>
    /// Jobs with more steps left than this are long (default 100: DDPM's 1000 steps are, DDIM's and DPM-Solver's 10–50
    /// are not). With <see cref="LongJobRows"/> set, long jobs together hold at most that many rows, so that shorter
    /// ones never wait in the queue for a long job's whole run: a job that is not long finishes within this many ticks.
    /// </summary>
    public int LongJobSteps { get; set; } = 100;

    /// <summary>
    /// Most rows that long jobs (<see cref="LongJobSteps"/>) hold together, 0..<see cref="MaxBatchRows"/>; the rest is
    /// kept for shorter jobs. A long job whose rows exceed it still runs when no other long job does. 0 (default): no
    /// share, long jobs may take every row, as suits a batch of alike jobs (an evaluation run); a server with mixed
    /// traffic sets one (the AdaDiff server: half the pass).
    /// </summary>
    public int LongJobRows { get; set; }

    /// <summary>The rows long jobs may hold: <see cref="LongJobRows"/>, or all of <see cref="MaxBatchRows"/> when it is 0.</summary>
    public int EffectiveLongJobRows => LongJobRows > 0 ? LongJobRows : MaxBatchRows;

    /// <summary>
    /// Most events a job may hold unread before it pauses: a paused job leaves the batch (keeping its rows: admission
    /// still counts them) until its reader catches up, so a client that does not read cannot make the server buffer its
    /// whole generation. 0 (default, for in-process callers that read everything): no bound.
    /// </summary>
    public int MaxUnreadEvents { get; set; }

    /// <summary>
    /// How long a job may stay paused by <see cref="MaxUnreadEvents"/> before it is ended: its rows are freed, its
    /// unread events are dropped and its channel completes with a <see cref="SlowReaderException"/>. Null (default):
    /// no limit.
    /// </summary>
    public TimeSpan? SlowReaderTimeout { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad limit.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchRows, 1, nameof(MaxBatchRows));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueuedJobs, 0, nameof(MaxQueuedJobs));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxActiveJobs, 1, nameof(MaxActiveJobs));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxUnreadEvents, 0, nameof(MaxUnreadEvents));
        ArgumentOutOfRangeException.ThrowIfLessThan(LongJobSteps, 1, nameof(LongJobSteps));
        ArgumentOutOfRangeException.ThrowIfLessThan(LongJobRows, 0, nameof(LongJobRows));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(LongJobRows, MaxBatchRows, nameof(LongJobRows));
        if (SlowReaderTimeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(SlowReaderTimeout), timeout, "must be positive");
        }
    }
}
