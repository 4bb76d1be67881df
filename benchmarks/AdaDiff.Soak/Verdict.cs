namespace AdaDiff.Soak;

/// <summary>How one resource moved between the start and the end of the steady state.</summary>
public sealed record ResourceGrowth(string Resource, double Baseline, double End, double GrowthPercent, bool Passed);

/// <summary>The soak's outcome: each resource's growth, the call errors, the gauges after the load, and why it failed.</summary>
public sealed record Verdict(
    bool Passed,
    int WarmupSamples,
    IReadOnlyList<ResourceGrowth> Resources,
    long Errors,
    double GenerationsActiveAfter,
    double QueueDepthAfter,
    IReadOnlyList<string> Failures);

/// <summary>
/// The verdict rule. The first 20% of the load samples (at least two) are warm-up: the JIT, the thread pool and the
/// backend's arenas settle there. Of the rest, the median of the first three is the baseline and the median of the last
/// three the end (a median, so that one GC or one burst of threads at either end decides nothing); RSS, managed heap,
/// threads and open fds may each grow by at most <see cref="MaxGrowth"/>. Any call ending with UNKNOWN, INTERNAL,
/// UNAVAILABLE, DATA_LOSS or a transport error fails the run, and so do generations or a queue left behind once the
/// load stopped.
/// </summary>
public static class VerdictRule
{
    /// <summary>5%.</summary>
    public const double MaxGrowth = 0.05;

    /// <summary>Samples at each end whose median is compared.</summary>
    public const int EdgeSamples = 3;

    /// <summary>Load samples counted as warm-up: 20% of them, at least two.</summary>
    public static int WarmupCount(int loadSamples) => Math.Max(2, (int)Math.Ceiling(loadSamples * 0.2));

    public static Verdict Evaluate(IReadOnlyList<Sample> samples, long errors, double maxGrowth = MaxGrowth)
    {
        var load = samples.Where(s => s.Phase == "load").ToList();
        Sample? after = samples.LastOrDefault(s => s.Phase == "after");
        int warmup = WarmupCount(load.Count);
        var failures = new List<string>();
        var resources = new List<ResourceGrowth>();
        var steady = load.Skip(warmup).ToList();
        if (steady.Count < 2)
        {
            failures.Add($"only {steady.Count} sample(s) after the warm-up of {warmup}; run longer or sample more often");
        }
        else
        {
            resources.Add(Growth("rss", steady.Select(s => (double)s.RssBytes).ToList(), maxGrowth));
            resources.Add(Growth("heap", steady.Select(s => s.HeapBytes).ToList(), maxGrowth));
            resources.Add(Growth("threads", steady.Select(s => (double)s.Threads).ToList(), maxGrowth));
            resources.Add(Growth("fds", steady.Select(s => (double)s.Fds).ToList(), maxGrowth));
            foreach (ResourceGrowth r in resources.Where(r => !r.Passed))
            {
                failures.Add($"{r.Resource} grew {r.GrowthPercent:F1}% (limit {maxGrowth * 100:F0}%)");
            }
        }
        if (errors > 0)
        {
            failures.Add($"{errors} call(s) ended with UNKNOWN, INTERNAL, UNAVAILABLE, DATA_LOSS or a transport error");
        }
        double active = after?.GenerationsActive ?? double.NaN;
        double queue = after?.QueueDepth ?? double.NaN;
        if (after is null)
        {
            failures.Add("no sample after the load stopped");
        }
        else if (active != 0 || queue != 0)
        {
            failures.Add($"after the load: adadiff_generations_active {active}, adadiff_queue_depth {queue} (both must be 0)");
        }
        return new Verdict(failures.Count == 0, warmup, resources, errors, active, queue, failures);
    }

    private static ResourceGrowth Growth(string name, List<double> values, double maxGrowth)
    {
        int edge = Math.Min(EdgeSamples, values.Count / 2);
        double baseline = Median(values.Take(edge));
        double end = Median(values.Skip(values.Count - edge));
        double growth = baseline > 0 ? (end - baseline) / baseline : (end > 0 ? double.PositiveInfinity : 0);
        return new ResourceGrowth(name, baseline, end, growth * 100, growth <= maxGrowth);
    }

    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
