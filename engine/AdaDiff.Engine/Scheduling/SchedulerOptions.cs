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

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad limit.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchRows, 1, nameof(MaxBatchRows));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueuedJobs, 0, nameof(MaxQueuedJobs));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxActiveJobs, 1, nameof(MaxActiveJobs));
    }
}
