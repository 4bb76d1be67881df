using System.Diagnostics;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// The timings of one call as its events arrive: <see cref="Step"/> at each step event, <see cref="Finish"/> at the
/// result. Times are Stopwatch timestamps of this process; one call is read by one task.
/// </summary>
internal sealed class CallTiming
{
    private readonly long start = Stopwatch.GetTimestamp();
    private long last;

    public double FirstStepSeconds { get; private set; } = double.NaN;

    public List<double> StepIntervals { get; } = new(32);

    public long LayersExecuted { get; private set; }

    public long Layers { get; private set; }

    public int Steps { get; private set; }

    public void Step(long layersExecuted, long layersFull)
    {
        long now = Stopwatch.GetTimestamp();
        if (Steps == 0)
        {
            FirstStepSeconds = Stopwatch.GetElapsedTime(start, now).TotalSeconds;
        }
        else
        {
            StepIntervals.Add(Stopwatch.GetElapsedTime(last, now).TotalSeconds);
        }
        last = now;
        Steps++;
        LayersExecuted += layersExecuted;
        Layers += layersFull;
    }

    public double Elapsed() => Stopwatch.GetElapsedTime(start).TotalSeconds;
}

/// <summary>
/// The calls of one configuration in one round, from its streams (thread-safe), and the <see cref="Measurement"/> they
/// make: images/s over the whole wall time, per-call latency and time to first step percentiles, the median step interval.
/// </summary>
internal sealed class CallRecorder(string config, int round, int depth)
{
    private readonly Lock gate = new();
    private readonly List<double> latencies = [];
    private readonly List<double> firstSteps = [];
    private readonly List<double> intervals = [];
    private readonly long start = Stopwatch.GetTimestamp();
    private long layersExecuted;
    private long layersFull;
    private int images;
    private int errors;
    private string? firstError;

    /// <summary>
    /// One configuration in one round, the same way on every path: <c>config.Streams</c> concurrent streams of
    /// <c>config.CallsPerStream</c> calls each, one after the other, the k-th call of stream s with seed
    /// <c>seedBase + s × CallsPerStream + k</c>, all recorded into one recorder; its measurement.
    /// </summary>
    public static async Task<Measurement> MeasureAsync(
        BenchConfig config, BenchSettings settings, int round, ulong seedBase, Func<double> loadAverage, Func<ulong, CallRecorder, Task> call, CancellationToken cancel)
    {
        var recorder = new CallRecorder(config.Key, round, settings.Depth);
        var streams = new Task[config.Streams];
        for (int s = 0; s < streams.Length; s++)
        {
            int stream = s;
            streams[s] = Task.Run(async () =>
            {
                for (int k = 0; k < config.CallsPerStream; k++)
                {
                    await call(seedBase + (ulong)(stream * config.CallsPerStream + k), recorder);
                }
            }, cancel);
        }
        await Task.WhenAll(streams);
        return recorder.Build(loadAverage());
    }

    public int Errors
    {
        get
        {
            lock (gate)
            {
                return errors;
            }
        }
    }

    public void Completed(CallTiming call, int images, double latencySeconds)
    {
        lock (gate)
        {
            latencies.Add(latencySeconds);
            firstSteps.Add(call.FirstStepSeconds);
            intervals.AddRange(call.StepIntervals);
            layersExecuted += call.LayersExecuted;
            layersFull += call.Layers;
            this.images += images;
        }
    }

    public void Failed(string error)
    {
        lock (gate)
        {
            errors++;
            firstError ??= error;
        }
    }

    /// <summary>The measurement, with the wall time from this recorder's creation to now.</summary>
    public Measurement Build(double loadAverage)
    {
        double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        lock (gate)
        {
            return new Measurement
            {
                Config = config,
                Round = round,
                WallSeconds = wall,
                Images = images,
                ImagesPerSecond = images / wall,
                LatencyP50 = Stats.PercentileOf(latencies, 50),
                LatencyP99 = Stats.PercentileOf(latencies, 99),
                FirstStepP50 = Stats.PercentileOf(firstSteps, 50),
                FirstStepP99 = Stats.PercentileOf(firstSteps, 99),
                StepSeconds = Stats.PercentileOf(intervals, 50),
                MeanExitLayer = layersFull == 0 ? double.NaN : (double)layersExecuted / layersFull * depth,
                Errors = errors,
                FirstError = firstError,
                LoadAverage = loadAverage,
            };
        }
    }
}
