using AdaDiff.Grpc.V1;
using AdaDiff.Server.Metrics;
using OpenTelemetry.Metrics;

namespace AdaDiff.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class MetricsTests(ServerFixture server)
{
    private const string Model = "fashion-mnist-uvit";

    private static GenerateRequest Request() => new()
    {
        NumImages = 2,
        Seed = 31,
        Steps = 5,
        ClassLabel = 2,
        ExitPolicy = new ExitPolicy { Mode = ExitMode.Adaptive, MinLayers = 2 },
        Stream = new StreamOptions { LatentEncoding = LatentEncoding.None },
    };

    [Fact]
    public async Task Generate_Completed_CountersMoveByTheCallsStats()
    {
        await server.WaitIdleAsync();
        IReadOnlyList<MetricSnapshot> before = server.CollectMetrics();
        Generation g = await Generation.RunAsync(server.Client, Request());
        // The result reaches the client before the scheduler removes the finished job and records the gauges.
        await server.WaitIdleAsync();
        IReadOnlyList<MetricSnapshot> after = server.CollectMetrics();

        double Delta(string name) => MetricReader.Sum(after, name, Model) - MetricReader.Sum(before, name, Model);
        ComputeStats stats = g.Result.Stats;
        Assert.Equal(stats.LayersExecuted, Delta("adadiff.layers.executed"));
        Assert.Equal(stats.LayersFull, Delta("adadiff.layers.full"));
        Assert.Equal(stats.FlopsExecuted, Delta("adadiff.flops.executed"), stats.FlopsExecuted * 1e-9);
        // Saved FLOPs are clamped at 0 per step (a counter cannot go down, and a step that exits late pays
        // uncertainty heads a full pass does not): so the counter is at least the generation's net saving and
        // at most its full-depth FLOPs; equal to the net saving only when no step cost more than full depth.
        double saved = Delta("adadiff.flops.saved");
        Assert.InRange(saved, Math.Max(0, stats.FlopsFull - stats.FlopsExecuted) - (stats.FlopsFull * 1e-9), stats.FlopsFull);
        Assert.Equal(2, Delta("adadiff.images"));
        Assert.Equal(5, Delta("adadiff.steps"));
        Assert.Equal(10, Delta("adadiff.exit.layer")); // one per image per step
        Assert.Equal(5, Delta("adadiff.step.duration"));
        Assert.Equal(1, Delta("adadiff.generation.duration"));
        Assert.Equal(1, Delta("adadiff.queue.wait"));
        Assert.Equal(1, Delta("adadiff.first_step.latency"));
        Assert.Equal(5, Delta("adadiff.batch.size")); // one network pass per step: nothing else ran (WaitIdleAsync)
        // Device-seconds saved = skipped row-layers × measured seconds per row-layer: positive when layers were
        // skipped, and at most (depth − min layers) / min layers times the time the passes took, within the call.
        Assert.True(stats.LayersExecuted < stats.LayersFull, $"precondition: exits skipped layers ({stats.LayersExecuted}/{stats.LayersFull})");
        double computeSaved = Delta("adadiff.compute.saved");
        Assert.True(computeSaved > 0, $"compute saved {computeSaved} s");
        double maxSavedPerExecuted = (server.Model.Depth - 2.0) / 2.0;
        Assert.True(computeSaved <= maxSavedPerExecuted * stats.WallSeconds, $"compute saved {computeSaved} s in a {stats.WallSeconds} s call");
        Assert.Equal(1, Delta("adadiff.requests"));
        Assert.Equal(1, MetricReader.Points(after, "adadiff.requests", Model).Where(p => MetricReader.Tag(p, "code") == "OK").Sum(p => p.GetSumLong())
            - MetricReader.Points(before, "adadiff.requests", Model).Where(p => MetricReader.Tag(p, "code") == "OK").Sum(p => p.GetSumLong()));
        Assert.Equal(0, MetricReader.Gauge(after, "adadiff.generations.active", Model));
        Assert.Equal(0, MetricReader.Gauge(after, "adadiff.queue.depth", Model));
    }

    [Fact]
    public async Task Generate_Completed_ExitHistogramHasOneBucketPerLayerAndTimestepBuckets()
    {
        await Generation.RunAsync(server.Client, Request());
        IReadOnlyList<MetricSnapshot> snapshots = server.CollectMetrics();

        MetricPoint[] points = [.. MetricReader.Points(snapshots, "adadiff.exit.layer", Model)];
        Assert.NotEmpty(points);
        foreach (MetricPoint point in points)
        {
            Assert.Equal(["backend", "model", "timestep_bucket"], MetricReader.TagKeys(point).Order(StringComparer.Ordinal));
            Assert.Equal("onnxruntime", MetricReader.Tag(point, "backend"));
            List<double> bounds = [];
            foreach (HistogramBucket bucket in point.GetHistogramBuckets())
            {
                bounds.Add(bucket.ExplicitBound);
            }
            // Buckets (0,1], (1,2], …, (depth-1, depth], then +Inf.
            Assert.Equal(Enumerable.Range(1, (int)server.Model.Depth).Select(i => (double)i).Append(double.PositiveInfinity), bounds);
        }
        Assert.All(points, p => Assert.Matches("^[0-9]+-[0-9]+$", MetricReader.Tag(p, "timestep_bucket")));
        Assert.True(points.Select(p => MetricReader.Tag(p, "timestep_bucket")).Distinct().Count() > 1, "5 steps over T span several timestep buckets");
    }

    [Fact]
    public async Task Generate_Completed_LatencyHistogramsHaveSecondSizedBuckets()
    {
        await Generation.RunAsync(server.Client, Request());
        IReadOnlyList<MetricSnapshot> snapshots = server.CollectMetrics();

        foreach (string name in new[] { "adadiff.step.duration", "adadiff.generation.duration", "adadiff.queue.wait", "adadiff.first_step.latency" })
        {
            MetricSnapshot metric = MetricReader.Find(snapshots, name)!;
            Assert.Equal("s", metric.Unit);
            MetricPoint point = MetricReader.Points(snapshots, name, Model).First();
            List<double> bounds = [];
            foreach (HistogramBucket bucket in point.GetHistogramBuckets())
            {
                bounds.Add(bucket.ExplicitBound);
            }
            Assert.Equal(AdaDiffMetrics.SecondsBuckets.Append(double.PositiveInfinity), bounds);
        }
    }

    [Fact]
    public async Task Meter_Instruments_CarryOnlyModelAndBackendTags()
    {
        await Generation.RunAsync(server.Client, Request());
        IReadOnlyList<MetricSnapshot> snapshots = server.CollectMetrics();

        // Every instrument has points after a generation; each carries model and backend, and only the exit
        // histogram (timestep_bucket) and the request counter (code) one more, of few values.
        string[] expected =
        [
            "adadiff.batch.size", "adadiff.compute.saved", "adadiff.exit.layer", "adadiff.first_step.latency", "adadiff.flops.executed",
            "adadiff.flops.saved", "adadiff.generation.duration", "adadiff.generations.active", "adadiff.images", "adadiff.layers.executed",
            "adadiff.layers.full", "adadiff.queue.depth", "adadiff.queue.wait", "adadiff.requests", "adadiff.step.duration", "adadiff.steps",
        ];
        MetricSnapshot[] ours = [.. snapshots.Where(s => s.MeterName == AdaDiffMetrics.MeterName)];
        Assert.Equal(expected, ours.Select(s => s.Name).Distinct().Order(StringComparer.Ordinal));
        foreach (MetricSnapshot snapshot in ours)
        {
            Assert.NotEmpty(snapshot.MetricPoints);
            string[] keys = snapshot.Name switch
            {
                "adadiff.exit.layer" => ["backend", "model", "timestep_bucket"],
                "adadiff.requests" => ["backend", "code", "model"],
                _ => ["backend", "model"],
            };
            foreach (MetricPoint point in snapshot.MetricPoints)
            {
                Assert.Equal(keys, MetricReader.TagKeys(point).Order(StringComparer.Ordinal));
            }
        }
        Assert.All(MetricReader.Points(snapshots, "adadiff.requests", Model), p => Assert.Matches("^[A-Z_]+$", MetricReader.Tag(p, "code")));
    }
}
