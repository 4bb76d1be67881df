using System.Net.Http;
using AdaDiff.Grpc.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace AdaDiff.Server.Tests;

/// <summary>
/// 150 clients that open a Generate stream and read nothing, against the real server: each generation pauses once
/// its stream holds <c>MaxUnreadEventsPerStream</c> events, ends with RESOURCE_EXHAUSTED after
/// <c>SlowReaderTimeoutSeconds</c>, and the memory they held is bounded and given back.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class UnreadStreamsSystemTests(ITestOutputHelper output)
{
    private const string Model = "fashion-mnist-uvit";
    private const int Streams = 150;
    private const uint Steps = 400;
    private const uint Images = 4;
    private const int MaxUnread = 8;
    private const string SlowReaderEnded = "events unread for";
    // One step's FLOAT32 latents for 4 images of 28×28: 12.5 KB.
    private const int EventBytes = (int)Images * 28 * 28 * 4;

    [Fact]
    public async Task UnreadStreams_150_EachPausesAtTheBoundEndsWithResourceExhausted_MemoryBoundedAndReturned()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(ServerProcess.DefaultReadyTimeout,
            $"--AdaDiff:MaxUnreadEventsPerStream={MaxUnread}", "--AdaDiff:SlowReaderTimeoutSeconds=1",
            "--AdaDiff:MaxQueuedJobs=200", "--AdaDiff:MaxOpenStreams=200", "--AdaDiff:MaxStreamsPerConnection=200",
            "--AdaDiff:MaxBatchRows=64", "--AdaDiff:MaxActiveJobs=8");
        // The client's HTTP/2 windows stay at their initial 64 KB while nothing is read, so the server must hold
        // (or refuse to make) what the clients do not take.
        using var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        var client = new DiffusionService.DiffusionServiceClient(channel);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        // Warm at the batch the test will run (8 generations × 4 images × 2 guidance rows = 64 rows, the MaxBatchRows
        // set above rather than derived from the machine): ONNX Runtime's per-session arenas grow with the batch, and
        // that is not the streams' memory.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Generation.RunAsync(client, Request(4))));
        long baseline = server.ResidentBytes();
        double stepsBefore = await MetricAsync(http, server, "adadiff_steps_total");

        // 4 images × 400 steps with every step's FLOAT32 latent: 400 × 12.5 KB = 5 MB per stream if buffered whole,
        // 750 MB for all of them; the bound keeps it to 8 events (100 KB) per running generation.
        var calls = new List<AsyncServerStreamingCall<GenerateResponse>>();
        for (int i = 0; i < Streams; i++)
        {
            calls.Add(client.Generate(Request(Steps), deadline: DateTime.UtcNow.AddMinutes(10)));
        }
        long peak = baseline;
        var outcomes = new List<StatusCode>();
        try
        {
            // Nobody reads until the scheduler has ended every generation (it logs each one).
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (server.CountLines(SlowReaderEnded) < Streams)
            {
                peak = Math.Max(peak, server.ResidentBytes());
                Assert.True(waited.Elapsed < TimeSpan.FromMinutes(5), $"{server.CountLines(SlowReaderEnded)} of {Streams} generations ended: {await DiagnosticsAsync(http, server)}");
                await Task.Delay(100);
            }
            peak = Math.Max(peak, server.ResidentBytes());
            foreach (AsyncServerStreamingCall<GenerateResponse> call in calls)
            {
                RpcException e = await Assert.ThrowsAsync<RpcException>(async () =>
                {
                    while (await call.ResponseStream.MoveNext(CancellationToken.None))
                    {
                        Assert.Equal(GenerateResponse.EventOneofCase.Step, call.ResponseStream.Current.EventCase);
                    }
                });
                outcomes.Add(e.StatusCode);
                Assert.Contains("the generation was stopped to free its memory", e.Status.Detail, StringComparison.Ordinal);
            }
        }
        finally
        {
            foreach (AsyncServerStreamingCall<GenerateResponse> call in calls)
            {
                call.Dispose();
            }
        }

        output.WriteLine($"RSS baseline {baseline >> 20} MiB, peak with {Streams} unread streams {peak >> 20} MiB");
        Assert.All(outcomes, code => Assert.Equal(StatusCode.ResourceExhausted, code));
        Assert.Equal(Streams, await MetricAsync(http, server, "adadiff_requests_total", "RESOURCE_EXHAUSTED"));
        // Each generation ran until its stream held the bound, plus what the client's 64 KB window took and the one
        // write blocked on it: far from its 400 steps (60,000 in all).
        double steps = await MetricAsync(http, server, "adadiff_steps_total") - stepsBefore;
        int perStream = MaxUnread + 1 + (65_535 / EventBytes) + 1;
        output.WriteLine($"{steps} steps ran for {Streams} unread streams of {Steps} steps (bound {Streams * perStream})");
        Assert.True(steps <= Streams * perStream, $"{steps} steps ran for {Streams} unread streams (at most {perStream} each)");
        // Memory: what the unread streams held at most, and what is left once they ended (after the server's
        // next collections; the 1.5 GB they would have pinned unbounded is far outside both margins).
        const long MiB = 1 << 20;
        Assert.True(peak - baseline < 250 * MiB, $"RSS rose by {(peak - baseline) / MiB} MiB over {baseline / MiB} MiB");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Generation.RunAsync(client, Request(4))));
        long after = server.ResidentBytes();
        output.WriteLine($"RSS after they ended {after >> 20} MiB");
        Assert.True(after - baseline < 150 * MiB, $"RSS is {(after - baseline) / MiB} MiB above the baseline after the streams ended (peak +{(peak - baseline) / MiB} MiB)");
    }

    private static async Task<string> DiagnosticsAsync(HttpClient http, ServerProcess server)
    {
        string text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/metrics"));
        return string.Join('\n', text.Split('\n').Where(l => l.StartsWith("adadiff_requests_total", StringComparison.Ordinal) || l.StartsWith("adadiff_steps_total", StringComparison.Ordinal)
            || l.StartsWith("adadiff_generations_active", StringComparison.Ordinal) || l.StartsWith("adadiff_queue_depth", StringComparison.Ordinal)));
    }

    private static GenerateRequest Request(uint steps) => new()
    {
        NumImages = Images,
        Steps = steps,
        Seed = 3,
        ClassLabel = 7,
        ExitPolicy = new ExitPolicy { Mode = ExitMode.FullDepth },
        Stream = new StreamOptions { LatentEncoding = LatentEncoding.Float32, LatentEveryNSteps = 1 },
    };

    private static async Task<double> MetricAsync(HttpClient http, ServerProcess server, string series, string? code = null)
    {
        string text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/metrics"));
        return code is null ? PrometheusText.Sum(text, series, Model) : PrometheusText.Sum(text, series, Model, "code", code);
    }
}
