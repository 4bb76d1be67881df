using AdaDiff.Engine;
using AdaDiff.Engine.Scheduling;

namespace AdaDiff.Server.Internal;

/// <summary>
/// The batch limits a model's scheduler runs with: the configured ones where <see cref="AdaDiffOptions.MaxBatchRows"/>
/// and <see cref="AdaDiffOptions.MaxActiveJobs"/> are set, otherwise derived from the device by
/// <see cref="BatchSizing"/>. Which and why is logged at load.
/// </summary>
/// <param name="MaxBatchRows">Rows per network pass.</param>
/// <param name="MaxActiveJobs">Generations sampled at once.</param>
/// <param name="MinRows">Rows of the largest request the server accepts for the model: the least a pass may hold.</param>
/// <param name="MaxRows">Most rows a derived pass may hold.</param>
/// <param name="Timings">The measured passes, or null when the rows were configured (nothing was measured).</param>
/// <param name="Derived">The choice made from <paramref name="Timings"/>, or null when the rows were configured.</param>
/// <param name="ActiveConfigured">True when <see cref="AdaDiffOptions.MaxActiveJobs"/> was set.</param>
internal sealed record SchedulerLimits(int MaxBatchRows, int MaxActiveJobs, int MinRows, int MaxRows, IReadOnlyList<PassTiming>? Timings, BatchLimits? Derived, bool ActiveConfigured)
{
    /// <summary>
    /// Resolves the limits for <paramref name="manifest"/>. <paramref name="measure"/> (rows bound in, timings out) runs
    /// only when the rows per pass are not configured; at load it is <see cref="BatchSizing.Measure"/> on the backend.
    /// </summary>
    public static SchedulerLimits Resolve(AdaDiffOptions options, ModelManifest manifest, Func<int, IReadOnlyList<PassTiming>> measure)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(measure);
        // A guided image is two rows; only a class-conditional model that can also generate without a class guides.
        int rowsPerImage = manifest.NumClasses > 0 && manifest.SupportsUnconditional ? 2 : 1;
        int minRows = options.MaxImagesPerRequest * rowsPerImage;
        int maxRows = Math.Max(AdaDiffOptions.DerivedMaxBatchRowsLimit, minRows);
        bool activeConfigured = options.MaxActiveJobs > 0;
        if (options.MaxBatchRows > 0)
        {
            int rows = options.MaxBatchRows;
            return new SchedulerLimits(rows, activeConfigured ? options.MaxActiveJobs : rows, minRows, maxRows, null, null, activeConfigured);
        }
        IReadOnlyList<PassTiming> timings = measure(maxRows);
        BatchLimits derived = BatchSizing.Choose(timings, minRows, maxRows);
        return new SchedulerLimits(derived.MaxBatchRows, activeConfigured ? options.MaxActiveJobs : derived.MaxActiveJobs, minRows, maxRows, timings, derived, activeConfigured);
    }

    /// <summary>The scheduler options of these limits and the rest of <paramref name="options"/>.</summary>
    public SchedulerOptions ToSchedulerOptions(AdaDiffOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SchedulerOptions
        {
            MaxBatchRows = MaxBatchRows,
            MaxQueuedJobs = options.MaxQueuedJobs,
            MaxActiveJobs = MaxActiveJobs,
            MaxUnreadEvents = options.MaxUnreadEventsPerStream,
            SlowReaderTimeout = TimeSpan.FromSeconds(options.SlowReaderTimeoutSeconds),
            LongJobSteps = options.LongJobSteps,
            // 0: half the pass, rounded up. A configured share larger than derived rows would be refused by the
            // scheduler: a share is at most a pass.
            LongJobRows = options.LongJobRows > 0 ? Math.Min(options.LongJobRows, MaxBatchRows) : (MaxBatchRows + 1) / 2,
        };
    }
}
