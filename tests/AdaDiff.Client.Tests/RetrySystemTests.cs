using System.Diagnostics;
using AdaDiff.Grpc.V1;
using Grpc.Core;

namespace AdaDiff.Client.Tests;

/// <summary>
/// A real server with room for one running and one waiting generation (MaxActiveJobs=1, MaxQueuedJobs=1) and
/// its Generate log at Debug, so each attempt that reaches it leaves a line ("rejected: its queue is full" for
/// RESOURCE_EXHAUSTED); the attempts themselves are counted from adadiff_requests_total. Its own collection: it runs beside
/// the shared server's tests.
/// </summary>
public sealed class TinyQueueServerFixture : IAsyncLifetime
{
    private ServerProcess? server;

    internal ServerProcess Server => server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => server = await ServerProcess.StartAsync(
        ServerProcess.DefaultReadyTimeout,
        "--AdaDiff:MaxActiveJobs=1",
        "--AdaDiff:MaxQueuedJobs=1",
        "--Logging:LogLevel:AdaDiff.Server.Services.DiffusionService=Debug");

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

/// <summary>The C# library's retries against a full queue, and no retry of a bad request.</summary>
public sealed class RetrySystemTests(TinyQueueServerFixture fixture) : IClassFixture<TinyQueueServerFixture>
{
    private const string Rejected = "rejected: its queue is full";
    private const string Started = "Generate: model";
    private const string Stopped = "stopped: the caller cancelled";

    private static readonly GenerateRequest Small = new() { ClassLabel = 1, NumImages = 1, Steps = 2, Seed = 3 };

    private AdaDiffClient NewClient(int attempts, TimeSpan initialBackoff, TimeSpan maxBackoff) => new(new AdaDiffClientOptions
    {
        Address = new Uri(fixture.Server.GrpcAddress),
        MaxAttempts = attempts,
        InitialBackoff = initialBackoff,
        MaxBackoff = maxBackoff,
    });

    [Fact]
    public async Task GenerateAsync_QueueFullLongerThanRetries_ResourceExhaustedAfterEveryAttempt()
    {
        await using Blockers blockers = await Blockers.FillAsync(fixture.Server);
        using AdaDiffClient client = NewClient(attempts: 3, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400));
        double before = await RequestsAsync("RESOURCE_EXHAUSTED");

        var e = await Assert.ThrowsAsync<RpcException>(() => client.GenerateToEndAsync(Small, timeout: TimeSpan.FromSeconds(30)));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), RpcErrors.RetryDelay(e)); // the server's RetryInfo (RetryAfterSeconds)
        // Retries happen inside the call, and the server counts each attempt before it answers: once the call
        // has failed, all three are counted.
        Assert.Equal(3, await RequestsAsync("RESOURCE_EXHAUSTED") - before);
    }

    [Fact]
    public async Task GenerateAsync_QueueFreesWhileRetrying_SucceedsOnALaterAttempt()
    {
        Blockers blockers = await Blockers.FillAsync(fixture.Server);
        using AdaDiffClient client = NewClient(attempts: 5, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        double before = await RequestsAsync("RESOURCE_EXHAUSTED");
        double okBefore = await RequestsAsync("OK");
        int rejectedLinesBefore = fixture.Server.CountLines(Rejected);

        Task<GenerationResult> call = client.GenerateToEndAsync(Small, timeout: TimeSpan.FromSeconds(60));
        try
        {
            // The first attempt is turned away; then the queue frees while the client waits out its backoff.
            await WaitForCountAsync(Rejected, rejectedLinesBefore + 1);
        }
        finally
        {
            await blockers.DisposeAsync();
        }
        GenerationResult result = await call;

        Assert.Single(result.Images);
        double rejected = await RequestsAsync("RESOURCE_EXHAUSTED") - before;
        Assert.InRange(rejected, 1, 4); // at least one retry, and the last of the 5 attempts was not needed
        Assert.Equal(1, await RequestsAsync("OK") - okBefore); // only the attempt that got in generated
    }

    [Fact]
    public async Task GenerateAsync_InvalidArgument_OneAttemptOnly()
    {
        using AdaDiffClient client = NewClient(attempts: 5, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200));
        double before = await RequestsAsync("INVALID_ARGUMENT");

        var e = await Assert.ThrowsAsync<RpcException>(() => client.GenerateToEndAsync(new GenerateRequest { Steps = 100000 }));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(RpcErrors.FieldViolations(e), v => v.Field == "steps");
        // A retry would have been made inside the call, before it failed, and counted before its answer.
        Assert.Equal(1, await RequestsAsync("INVALID_ARGUMENT") - before);
    }

    /// <summary>Generate calls the server has counted with <paramref name="code"/> (adadiff_requests_total on /metrics).</summary>
    private async Task<double> RequestsAsync(string code)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        string text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{fixture.Server.HttpPort}/metrics"));
        return PrometheusText.Sum(text, "adadiff_requests_total", "fashion-mnist-uvit", "code", code);
    }

    /// <summary>Waits until the server logged <paramref name="atLeast"/> lines with <paramref name="text"/>.</summary>
    private async Task WaitForCountAsync(string text, int atLeast)
    {
        var clock = Stopwatch.StartNew();
        while (fixture.Server.CountLines(text) < atLeast)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the server logged {fixture.Server.CountLines(text)} of {atLeast} '{text}':\n{fixture.Server.Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>Two long generations: one running, one waiting; together they fill the tiny queue.</summary>
    private sealed class Blockers : IAsyncDisposable
    {
        // 16 images at full depth for 1000 steps: about a minute on a free CPU, far longer than any test here.
        private static readonly GenerateRequest Long = new()
        {
            ClassLabel = 0, NumImages = 16, Steps = 1000, Seed = 1,
            ExitPolicy = new ExitPolicy { Mode = ExitMode.FullDepth },
            Stream = new StreamOptions { LatentEncoding = LatentEncoding.None },
        };

        private readonly CancellationTokenSource stop = new();
        private readonly ServerProcess server;
        private readonly int stoppedBefore;
        private readonly AdaDiffClient client;
        private readonly List<Task> calls = [];

        private Blockers(ServerProcess server)
        {
            this.server = server;
            stoppedBefore = server.CountLines(Stopped);
            // Retries only in case the blockers of the previous test still hold their slots.
            client = new AdaDiffClient(new AdaDiffClientOptions { Address = new Uri(server.GrpcAddress), MaxAttempts = 5 });
        }

        public static async Task<Blockers> FillAsync(ServerProcess server)
        {
            var blockers = new Blockers(server);
            try
            {
                var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                blockers.calls.Add(blockers.RunAsync(running));
                await running.Task.WaitAsync(TimeSpan.FromSeconds(60)); // its first step streamed: it holds the one active slot
                int started = server.CountLines(Started);
                blockers.calls.Add(blockers.RunAsync(null));
                var clock = Stopwatch.StartNew();
                while (server.CountLines(Started) <= started) // accepted into the queue (a rejection would fail its call)
                {
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the second blocker was not queued:\n{server.Output}");
                    Assert.False(blockers.calls[1].IsFaulted, blockers.calls[1].Exception?.ToString());
                    await Task.Delay(50);
                }
                return blockers;
            }
            catch
            {
                await blockers.DisposeAsync();
                throw;
            }
        }

        private async Task RunAsync(TaskCompletionSource? firstStep)
        {
            try
            {
                await foreach (GenerationEvent e in client.GenerateAsync(Long, timeout: TimeSpan.FromMinutes(5), stop.Token))
                {
                    firstStep?.TrySetResult();
                }
                throw new InvalidOperationException("a blocker finished before the test released it; make it longer");
            }
            catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                // released
            }
            catch (Exception e)
            {
                firstStep?.TrySetException(e);
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            try
            {
                await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));
                // The server logs each generation's stop once it left the queue or the batch: then both slots are free.
                var clock = Stopwatch.StartNew();
                while (server.CountLines(Stopped) < stoppedBefore + calls.Count && clock.Elapsed < TimeSpan.FromSeconds(30))
                {
                    await Task.Delay(50);
                }
            }
            finally
            {
                client.Dispose();
                stop.Dispose();
            }
        }
    }
}
