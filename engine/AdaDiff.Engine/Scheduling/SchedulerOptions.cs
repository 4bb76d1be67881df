namespace AdaDiff.Engine.Scheduling;

/// <summary>Limits of a <see cref="GenerationScheduler"/>.</summary>
public sealed class SchedulerOptions
{
    /// <summary>Most network rows in one pass (an image is 1 row, 2 with classifier-free guidance); a job needs all its rows in one pass.</summary>
    public int MaxBatchRows { get; set; } = 64;

    /// <summary>Most jobs waiting to start; <see cref="GenerationScheduler.TryEnqueue"/> returns null beyond it.</summary>
    public int MaxQueuedJobs { get; set; } = 32;

    /// <summary>Most jobs sampling at once (their steps share batches).</summary>
    public int MaxActiveJobs { get; set; } = 16;

    /// <summary>
    /// Most events a job may hold unread before it pauses: a paused job leaves the batch (keeping its slot) until its
    /// reader catches up, so a client that does not read cannot make the server buffer its whole generation. 0
    /// (default, for in-process callers that read everything): no bound.
    /// </summary>
    public int MaxUnreadEvents { get; set; }

    /// <summary>
    /// How long a job may stay paused by <see cref="MaxUnreadEvents"/> before it is ended: its slot is freed, its
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
        if (SlowReaderTimeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(SlowReaderTimeout), timeout, "must be positive");
        }
    }
}
