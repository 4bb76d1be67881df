using System.Diagnostics;
using AdaDiff.Engine;

namespace AdaDiff.Server.Metrics;

/// <summary>
/// Records one model's engine measurements into <see cref="AdaDiffMetrics"/>. Called on the scheduler's
/// worker thread: every tag list is built once here, so recording allocates nothing.
/// </summary>
public sealed class ModelObserver : IGenerationObserver
{
    /// <summary>Timestep buckets of the exit-layer histogram: T split into this many equal ranges.</summary>
    public const int TimestepBuckets = 10;

    private readonly AdaDiffMetrics metrics;
    private readonly TagList tags;
    private readonly TagList[] bucketTags;
    private readonly int timesteps;

    /// <summary>Creates the observer of one model.</summary>
    /// <param name="metrics">The instruments.</param>
    /// <param name="model">Model name (tag <c>model</c>).</param>
    /// <param name="backend">Backend name (tag <c>backend</c>).</param>
    /// <param name="timesteps">Training timesteps T of the model, for the timestep buckets.</param>
    public ModelObserver(AdaDiffMetrics metrics, string model, string backend, int timesteps)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentOutOfRangeException.ThrowIfLessThan(timesteps, 1);
        this.metrics = metrics;
        this.timesteps = timesteps;
        tags = new TagList { { "model", model }, { "backend", backend } };
        bucketTags = new TagList[TimestepBuckets];
        for (int b = 0; b < TimestepBuckets; b++)
        {
            bucketTags[b] = new TagList { { "model", model }, { "backend", backend }, { "timestep_bucket", TimestepBucketLabel(b, timesteps) } };
        }
    }

    /// <summary>Label of timestep bucket <paramref name="bucket"/> of T: the range of timesteps it holds, e.g. "0-99".</summary>
    public static string TimestepBucketLabel(int bucket, int timesteps)
    {
        int low = (int)((long)bucket * timesteps / TimestepBuckets);
        int high = (int)((long)(bucket + 1) * timesteps / TimestepBuckets) - 1;
        return FormattableString.Invariant($"{low}-{high}");
    }

    /// <summary>Bucket index of a timestep, 0..<see cref="TimestepBuckets"/>-1.</summary>
    public static int TimestepBucket(int timestep, int timesteps) =>
        Math.Clamp((int)((long)timestep * TimestepBuckets / timesteps), 0, TimestepBuckets - 1);

    /// <inheritdoc/>
    public void NetworkPass(int rows, long rowLayers, double seconds) => metrics.BatchSize.Record(rows, tags);

    /// <inheritdoc/>
    public void ImageStep(int exitLayer, int depth, int timestep, int timesteps) =>
        metrics.ExitLayer.Record(exitLayer, bucketTags[TimestepBucket(timestep, timesteps > 0 ? timesteps : this.timesteps)]);

    /// <inheritdoc/>
    public void JobStep(ComputeTotals compute, double stepSeconds, double secondsPerLayer, int rowsPerImage)
    {
        metrics.LayersExecuted.Add(compute.LayersExecuted, tags);
        metrics.LayersFull.Add(compute.LayersFull, tags);
        metrics.FlopsExecuted.Add(compute.FlopsExecuted, tags);
        // Uncertainty heads cost FLOPs a full pass does not run: a step that exits late can cost more
        // than full depth. A counter cannot go down, so such a step saves 0.
        metrics.FlopsSaved.Add(Math.Max(0, compute.FlopsFull - compute.FlopsExecuted), tags);
        long skipped = Math.Max(0, compute.LayersFull - compute.LayersExecuted);
        metrics.ComputeSaved.Add(skipped * rowsPerImage * secondsPerLayer, tags);
        metrics.StepDuration.Record(stepSeconds, tags);
        metrics.Steps.Add(1, tags);
    }

    /// <inheritdoc/>
    public void JobStarted(double queueSeconds, double firstStepSeconds)
    {
        metrics.QueueWait.Record(queueSeconds, tags);
        metrics.FirstStepLatency.Record(firstStepSeconds, tags);
    }

    /// <inheritdoc/>
    public void JobFinished(bool completed, int images, double seconds)
    {
        metrics.GenerationDuration.Record(seconds, tags);
        if (completed)
        {
            metrics.Images.Add(images, tags);
        }
    }

    /// <inheritdoc/>
    public void Occupancy(int queued, int active)
    {
        metrics.QueueDepth.Record(queued, tags);
        metrics.GenerationsActive.Record(active, tags);
    }
}
