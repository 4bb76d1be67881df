using System.Net;
using AdaDiff.Grpc.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace AdaDiff.Server.Tests;

/// <summary>
/// SIGTERM against the real server process: the drain that a Kubernetes rolling update relies on. Every wait is for a
/// state (readiness, a status, the exit), bounded only so that a hang fails.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class DrainSystemTests
{
    private static readonly TimeSpan StateTimeout = TimeSpan.FromSeconds(60);

    private static GenerateRequest Long(uint steps, uint images) => new()
    {
        NumImages = images,
        Seed = 5,
        Steps = steps,
        ClassLabel = 4,
        ExitPolicy = new ExitPolicy { Mode = ExitMode.FullDepth },
        Stream = new StreamOptions { LatentEncoding = LatentEncoding.None },
    };

    [Fact]
    public async Task Sigterm_StreamInFlight_NotReadyRefusesNewCallsFinishesItAndExits0()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(ServerProcess.DefaultReadyTimeout, "--AdaDiff:DrainTimeoutSeconds=300");
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new DiffusionService.DiffusionServiceClient(channel);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        // 400 full-depth steps: seconds of work, so it is in flight while the checks below run.
        using AsyncServerStreamingCall<GenerateResponse> call = client.Generate(Long(400, 2), deadline: DateTime.UtcNow.AddMinutes(10));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        int steps = 1;

        server.Terminate();

        // Readiness turns false at once (HTTP and gRPC health for the service); liveness stays true.
        await WaitForAsync(async () => (await http.GetAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/readyz"))).StatusCode == HttpStatusCode.ServiceUnavailable);
        var health = new Health.HealthClient(channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing,
            (await health.CheckAsync(new HealthCheckRequest { Service = "adadiff.v1.DiffusionService" })).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/healthz"))).StatusCode);
        // A new call is turned away with a status that says to go elsewhere.
        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => Generation.RunAsync(client, Long(5, 1)));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("retry on another instance", refused.Status.Detail, StringComparison.Ordinal);

        // The stream in flight runs to its result.
        GenerationResult? result = null;
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            if (call.ResponseStream.Current.EventCase == GenerateResponse.EventOneofCase.Result)
            {
                result = call.ResponseStream.Current.Result;
            }
            else
            {
                steps++;
            }
        }
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal(400, steps);
        Assert.NotNull(result);
        Assert.Equal(2, result.Images.Count);

        Assert.Equal(0, await server.WaitForExitAsync(StateTimeout));
        Assert.Contains("Draining: 1 generations in flight", server.Output, StringComparison.Ordinal);
        Assert.Contains("Drained: every generation in flight finished", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_StreamOutlastsTheDrainPeriod_EndsWithUnavailableAndTrailersAndExits3()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(ServerProcess.DefaultReadyTimeout, "--AdaDiff:DrainTimeoutSeconds=2");
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new DiffusionService.DiffusionServiceClient(channel);
        // 16 images × 1000 full-depth steps: about a minute here, far beyond the 2 s drain period.
        using AsyncServerStreamingCall<GenerateResponse> call = client.Generate(Long(1000, 16), deadline: DateTime.UtcNow.AddMinutes(10));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        server.Terminate();

        RpcException e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                Assert.Equal(GenerateResponse.EventOneofCase.Step, call.ResponseStream.Current.EventCase);
            }
        });
        // The server's own status and trailers, not a connection reset.
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal("The server is stopping and its drain period (2 s) ended before this generation finished; retry on another instance.", e.Status.Detail);
        Assert.Null(e.Status.DebugException);
        Assert.Contains(e.Trailers, t => t.Key == "grpc-status-details-bin");
        Assert.Equal(3, await server.WaitForExitAsync(StateTimeout));
        Assert.Contains("The drain period of 2 s ended; 1 generations still running were ended with UNAVAILABLE", server.Output, StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(StateTimeout);
        while (!await condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}
