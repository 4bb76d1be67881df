using System.Diagnostics;
using AdaDiff.Grpc.V1;
using Google.Rpc;
using Grpc.Core;

namespace AdaDiff.Server.Tests;

/// <summary>
/// A server that runs one generation at a time and queues one more. Its own collection: collections run one
/// after another, so its host never lives beside the shared fixture's (both meters are named AdaDiff.Server,
/// and a MeterProvider listens by name).
/// </summary>
[Collection(Name)]
public sealed class QueueTests : IAsyncLifetime
{
    public const string Name = "queue";

    private const string Model = "fashion-mnist-uvit";

    private readonly ServerFixture server = new(new Dictionary<string, string?>
    {
        ["AdaDiff:MaxActiveJobs"] = "1",
        ["AdaDiff:MaxQueuedJobs"] = "1",
        ["AdaDiff:RetryAfterSeconds"] = "2.5",
    });

    public Task InitializeAsync() => server.InitializeAsync();

    public Task DisposeAsync() => server.DisposeAsync();

    private static GenerateRequest LongRequest() => new()
    {
        NumImages = 1,
        Seed = 3,
        Steps = 500,
        ClassLabel = 4,
        ExitPolicy = new ExitPolicy { Mode = ExitMode.FullDepth },
        Stream = new StreamOptions { LatentEncoding = LatentEncoding.None },
    };

    [Fact]
    public async Task Generate_QueueFull_ResourceExhaustedWithRetryInfo()
    {
        using var cts = new CancellationTokenSource();
        // A runs (it has sent a step), B waits in the queue (the gauge says so), C finds the queue full.
        using AsyncServerStreamingCall<GenerateResponse> running = server.Client.Generate(LongRequest(), cancellationToken: cts.Token);
        Assert.True(await running.ResponseStream.MoveNext(cts.Token));
        using AsyncServerStreamingCall<GenerateResponse> queued = server.Client.Generate(LongRequest(), cancellationToken: cts.Token);
        Task<bool> queuedFirst = queued.ResponseStream.MoveNext(cts.Token);
        var wait = Stopwatch.StartNew();
        while (MetricReader.Gauge(server.CollectMetrics(), "adadiff.queue.depth", Model) != 1)
        {
            Assert.True(wait.Elapsed < TimeSpan.FromSeconds(10), "the second call never reached the queue");
            await Task.Delay(10);
        }

        RpcException e = await Assert.ThrowsAsync<RpcException>(() => Generation.RunAsync(server.Client, LongRequest()));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        RetryInfo? retry = e.GetRpcStatus()?.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        Assert.Equal(TimeSpan.FromSeconds(2.5), retry.RetryDelay.ToTimeSpan());

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => queuedFirst);
    }
}
