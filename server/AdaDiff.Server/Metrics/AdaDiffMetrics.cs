using System.Diagnostics.Metrics;

namespace AdaDiff.Server.Metrics;

/// <summary>
/// Owns the server's <see cref="Meter"/> and its instruments (DESIGN.md §6). Instruments are created once;
/// each model records into them through its own <see cref="ModelObserver"/> with the tags
/// <c>model</c>, <c>backend</c> (and <c>timestep_bucket</c> on the exit histogram).
/// </summary>
public sealed class AdaDiffMetrics
{
    /// <summary>Name of the meter; what <c>AddMeter</c> names.</summary>
    public const string MeterName = "AdaDiff.Server";

    /// <summary>Seconds-sized bucket boundaries of the latency histograms: 1 ms .. 10 min.</summary>
    public static IReadOnlyList<double> SecondsBuckets { get; } =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    /// <summary>Bucket boundaries of the batch-size histogram (rows per network pass).</summary>
    public static IReadOnlyList<int> BatchSizeBuckets { get; } = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

    /// <summary>Creates the meter and its instruments.</summary>
    /// <param name="meterFactory">The host's meter factory (the meter's lifetime is the container's).</param>
    /// <param name="maxDepth">Deepest model served: the exit-layer histogram has one bucket per layer, 1..maxDepth.</param>
    public AdaDiffMetrics(IMeterFactory meterFactory, int maxDepth)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDepth, 1);
        #pragma warning disable CA2000 // the meter factory owns and disposes the meters it creates
        Meter meter = meterFactory.Create(MeterName);
        #pragma warning restore CA2000
        int[] layerBuckets = new int[maxDepth];
        for (int i = 0; i < maxDepth; i++)
        {
            layerBuckets[i] = i + 1;
        }
        InstrumentAdvice<double> seconds = new() { HistogramBucketBoundaries = SecondsBuckets };

        LayersExecuted = meter.CreateCounter<long>("adadiff.layers.executed", "{layer}", "Transformer layers executed, summed over images and steps.");
        LayersFull = meter.CreateCounter<long>("adadiff.layers.full", "{layer}", "Transformer layers a full-depth pass would have executed.");
        FlopsExecuted = meter.CreateCounter<double>("adadiff.flops.executed", "{flop}", "Floating-point operations executed, uncertainty heads included.");
        FlopsSaved = meter.CreateCounter<double>("adadiff.flops.saved", "{flop}", "Floating-point operations saved against full depth without uncertainty heads (never negative).");
        ComputeSaved = meter.CreateCounter<double>("adadiff.compute.saved", "s", "Device-seconds saved: skipped row-layers times the measured time per row-layer.");
        ExitLayer = meter.CreateHistogram("adadiff.exit.layer", "{layer}", "Exit layer of each image at each step.",
            tags: null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = layerBuckets });
        StepDuration = meter.CreateHistogram("adadiff.step.duration", "s", "Duration of one sampling step of one generation.", tags: null, advice: seconds);
        GenerationDuration = meter.CreateHistogram("adadiff.generation.duration", "s", "Duration of a generation from enqueue to its end.", tags: null, advice: seconds);
        QueueWait = meter.CreateHistogram("adadiff.queue.wait", "s", "Time a generation waited in the queue before its first step.", tags: null, advice: seconds);
        FirstStepLatency = meter.CreateHistogram("adadiff.first_step.latency", "s", "Time from enqueue to the end of a generation's first step.", tags: null, advice: seconds);
        BatchSize = meter.CreateHistogram("adadiff.batch.size", "{row}", "Rows (samples) per network pass.",
            tags: null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchSizeBuckets });
        GenerationsActive = meter.CreateGauge<int>("adadiff.generations.active", "{generation}", "Generations being sampled.");
        QueueDepth = meter.CreateGauge<int>("adadiff.queue.depth", "{generation}", "Generations waiting in the queue.");
        Images = meter.CreateCounter<long>("adadiff.images", "{image}", "Images generated (completed generations only).");
        Requests = meter.CreateCounter<long>("adadiff.requests", "{request}", "Generate calls by the gRPC status code they ended with (tag code: OK, CANCELLED, INVALID_ARGUMENT, UNAVAILABLE, ...).");
        UnresolvedRequests = new RequestCounter(this, UnresolvedModel, UnresolvedModel);
        Steps = meter.CreateCounter<long>("adadiff.steps", "{step}", "Sampling steps run, counted once per generation step.");
    }

    /// <summary>adadiff.layers.executed.</summary>
    public Counter<long> LayersExecuted { get; }

    /// <summary>adadiff.layers.full.</summary>
    public Counter<long> LayersFull { get; }

    /// <summary>adadiff.flops.executed.</summary>
    public Counter<double> FlopsExecuted { get; }

    /// <summary>adadiff.flops.saved.</summary>
    public Counter<double> FlopsSaved { get; }

    /// <summary>adadiff.compute.saved (s).</summary>
    public Counter<double> ComputeSaved { get; }

    /// <summary>adadiff.exit.layer.</summary>
    public Histogram<int> ExitLayer { get; }

    /// <summary>adadiff.step.duration (s).</summary>
    public Histogram<double> StepDuration { get; }

    /// <summary>adadiff.generation.duration (s).</summary>
    public Histogram<double> GenerationDuration { get; }

    /// <summary>adadiff.queue.wait (s).</summary>
    public Histogram<double> QueueWait { get; }

    /// <summary>adadiff.first_step.latency (s).</summary>
    public Histogram<double> FirstStepLatency { get; }

    /// <summary>adadiff.batch.size.</summary>
    public Histogram<int> BatchSize { get; }

    /// <summary>adadiff.generations.active.</summary>
    public Gauge<int> GenerationsActive { get; }

    /// <summary>adadiff.queue.depth.</summary>
    public Gauge<int> QueueDepth { get; }

    /// <summary>adadiff.images.</summary>
    public Counter<long> Images { get; }

    /// <summary>The model and backend tags of calls refused before they named a served model (not ready, draining, unknown model).</summary>
    public const string UnresolvedModel = "(none)";

    /// <summary>Generate calls refused before a served model was resolved (tags model and backend <see cref="UnresolvedModel"/>).</summary>
    public RequestCounter UnresolvedRequests { get; }

    /// <summary>adadiff.requests (tags model, backend, code).</summary>
    public Counter<long> Requests { get; }

    /// <summary>adadiff.steps.</summary>
    public Counter<long> Steps { get; }
}
