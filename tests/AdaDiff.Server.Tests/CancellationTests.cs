using System.Diagnostics;
using AdaDiff.Grpc.V1;
using Grpc.Core;
using AdaDiff.Engine.Scheduling;
using AdaDiff.Server.Models;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace AdaDiff.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class CancellationTests(ServerFixture server)
{
    private const string Model = "fashion-mnist-uvit";
    private const uint LongSteps = 400;

    private static GenerateRequest LongRequest() => new()
    {
        NumImages = 1,
        Seed = 8,
        Steps = LongSteps,
        ClassLabel = 0,
        ExitPolicy = new ExitPolicy { Mode = ExitMode.FullDepth },
        Stream = new StreamOptions { LatentEncoding = LatentEncoding.None },
    };

    [Fact]
    public async Task Generate_ClientCancelsMidStream_CancelledAndJobStops()
    {
        double stepsBefore = MetricReader.Sum(server.CollectMetrics(), "adadiff.steps", Model);
        using var cts = new CancellationTokenSource();
        using AsyncServerStreamingCall<GenerateResponse> call = server.Client.Generate(LongRequest(), cancellationToken: cts.Token);

        int received = 0;
        RpcException e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (GenerateResponse response in call.ResponseStream.ReadAllAsync())
            {
                Assert.Equal(GenerateResponse.EventOneofCase.Step, response.EventCase);
                if (++received == 2)
                {
                    await cts.CancelAsync();
                }
            }
        });
        Assert.Equal(StatusCode.Cancelled, e.StatusCode);

        await AssertJobStoppedAsync(stepsBefore);
    }

    [Fact]
    public async Task Generate_DeadlinePasses_DeadlineExceededAndJobStops()
    {
        double stepsBefore = MetricReader.Sum(server.CollectMetrics(), "adadiff.steps", Model);
        using AsyncServerStreamingCall<GenerateResponse> call = server.Client.Generate(LongRequest(), deadline: DateTime.UtcNow.AddMilliseconds(300));

        RpcException e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (GenerateResponse response in call.ResponseStream.ReadAllAsync())
            {
                Assert.Equal(GenerateResponse.EventOneofCase.Step, response.EventCase);
            }
        });
        // On its deadline grpc-dotnet's server also resets the stream; TestServer can deliver that reset before
        // the DEADLINE_EXCEEDED trailers (the system test checks the exact status over real HTTP/2).
        bool testServerReset = e.StatusCode == StatusCode.Unavailable && e.Status.DebugException?.InnerException is Microsoft.AspNetCore.TestHost.HttpResetTestException;
        Assert.True(e.StatusCode == StatusCode.DeadlineExceeded || testServerReset, $"{e.StatusCode}: {e.Status.Detail}");

        await AssertJobStoppedAsync(stepsBefore);
    }

    /// <summary>
    /// The job leaves the scheduler (active and queued both 0: a finished job runs no further step) short of the
    /// request's steps, and the metrics say the same.
    /// </summary>
    private async Task AssertJobStoppedAsync(double stepsBefore)
    {
        GenerationScheduler scheduler = server.Services.GetRequiredService<ModelRegistry>().Models.Single(m => m.Name == Model).Scheduler;
        var wait = Stopwatch.StartNew();
        IReadOnlyList<MetricSnapshot> snapshots = server.CollectMetrics();
        // The scheduler updates its counts just before it reports them to the gauge: wait for both.
        while (scheduler.ActiveJobs + scheduler.QueueDepth != 0 || MetricReader.Gauge(snapshots, "adadiff.generations.active", Model) != 0)
        {
            Assert.True(wait.Elapsed < TimeSpan.FromSeconds(30), "the cancelled job is still in the scheduler after 30 s");
            await Task.Delay(20);
            snapshots = server.CollectMetrics();
        }
        double stepsAtStop = MetricReader.Sum(snapshots, "adadiff.steps", Model);

        Assert.True(stepsAtStop - stepsBefore < LongSteps, $"{stepsAtStop - stepsBefore} of {LongSteps} steps ran");
        Assert.Equal(0, MetricReader.Gauge(snapshots, "adadiff.generations.active", Model));
        Assert.Equal(0, MetricReader.Gauge(snapshots, "adadiff.queue.depth", Model));
    }
}
