using AdaDiff.Engine.Scheduling;
using AdaDiff.Grpc.V1;
using AdaDiff.Server.Models;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace AdaDiff.Server.Tests;

/// <summary>The server's batch limits derived at load, and concurrent calls sharing its passes.</summary>
[Collection(ServerCollection.Name)]
public sealed class BatchingTests(ServerFixture server)
{
    private const string Model = "fashion-mnist-uvit";

    private SchedulerOptions Limits => server.Services.GetRequiredService<ModelRegistry>().Models[0].Scheduler.Options;

    /// <summary>One guided image (the model's default guidance: 2 rows), adaptive exits.</summary>
    private static GenerateRequest Request(ulong seed, uint steps = 12, uint images = 1) => new()
    {
        NumImages = images,
        Seed = seed,
        Steps = steps,
        Sampler = Sampler.Ddim,
        ClassLabel = (uint)(seed % 10),
        Stream = new StreamOptions { LatentEncoding = LatentEncoding.None },
    };

    [Fact]
    public async Task Load_BatchLimitsUnset_DerivedFromTheDevice_TheLargestGuidedRequestFitsAPass()
    {
        // The fixture sets MaxImagesPerRequest 4 and leaves MaxBatchRows and MaxActiveJobs at 0.
        Assert.InRange(Limits.MaxBatchRows, 4 * 2, AdaDiffOptions.DerivedMaxBatchRowsLimit);
        Assert.Equal(Limits.MaxBatchRows, Limits.MaxActiveJobs);
        Assert.Equal((Limits.MaxBatchRows + 1) / 2, Limits.EffectiveLongJobRows);

        Generation largest = await Generation.RunAsync(server.Client, Request(5, steps: 2, images: 4));

        Assert.Equal(4, largest.Result.Images.Count);
    }

    [Fact]
    public async Task Generate_AsManyConcurrentCallsAsAPassHolds_ShareEveryPass_SameImagesAsAlone()
    {
        const uint steps = 12;
        int calls = Limits.MaxBatchRows / 2;
        Generation alone = await Generation.RunAsync(server.Client, Request(1, steps)); // seed 0 would be the server's choice
        await server.WaitIdleAsync();
        IReadOnlyList<MetricSnapshot> before = server.CollectMetrics();

        Generation[] together = await Task.WhenAll(Enumerable.Range(1, calls).Select(i => Generation.RunAsync(server.Client, Request((ulong)i, steps))));

        IReadOnlyList<MetricSnapshot> after = server.CollectMetrics();
        double passes = MetricReader.Sum(after, "adadiff.batch.size", Model) - MetricReader.Sum(before, "adadiff.batch.size", Model);
        // Run one after another they would take calls × steps passes, in waves of a slot limit a multiple of steps;
        // sharing every pass, steps plus the ticks over which the calls arrived.
        Assert.True(passes < 2 * steps, $"{calls} calls of {steps} steps took {passes} passes");
        Assert.Equal(alone.Result.Images[0].Png, together[0].Result.Images[0].Png);
        for (int step = 0; step < steps; step++)
        {
            Assert.Equal(alone.Steps[step].ExitLayers, together[0].Steps[step].ExitLayers);
        }
    }
}
