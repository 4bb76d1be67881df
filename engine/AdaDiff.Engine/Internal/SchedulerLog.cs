using Microsoft.Extensions.Logging;

namespace AdaDiff.Engine.Internal;

/// <summary>Log messages of the scheduler, with fixed event ids.</summary>
internal static partial class SchedulerLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Scheduler for {Model} on {Backend} started (max {MaxBatchRows} rows, {MaxActiveJobs} active, {MaxQueuedJobs} queued; jobs of more than {LongJobSteps} steps hold at most {LongJobRows} rows)")]
    public static partial void Started(ILogger logger, string model, string backend, int maxBatchRows, int maxActiveJobs, int maxQueuedJobs, int longJobRows, int longJobSteps);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Scheduler for {Model} stopped")]
    public static partial void Stopped(ILogger logger, string model);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Job {JobId} started after {QueueSeconds:F3} s in the queue")]
    public static partial void JobStarted(ILogger logger, long jobId, double queueSeconds);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "Job {JobId} completed in {Seconds:F3} s")]
    public static partial void JobCompleted(ILogger logger, long jobId, double seconds);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Job {JobId} cancelled after {Steps} steps")]
    public static partial void JobCancelled(ILogger logger, long jobId, int steps);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Error, Message = "Job {JobId} failed")]
    public static partial void JobFailed(ILogger logger, Exception exception, long jobId);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Error, Message = "Network pass over {Rows} rows failed; its {Jobs} jobs fail")]
    public static partial void PassFailed(ILogger logger, Exception exception, int rows, int jobs);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "Job {JobId} ended: its reader left {Unread} events unread for {Seconds:F0} s")]
    public static partial void JobEndedSlowReader(ILogger logger, long jobId, int unread, double seconds);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Network pass over {Rows} rows of {Jobs} jobs failed; running each job alone to find the one that fails")]
    public static partial void PassFailedIsolating(ILogger logger, Exception exception, int rows, int jobs);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Critical, Message = "Scheduler worker for {Model} crashed")]
    public static partial void WorkerCrashed(ILogger logger, Exception exception, string model);
}
