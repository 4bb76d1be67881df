using System.Globalization;
using System.Net;
using AdaDiff.Grpc.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;

namespace AdaDiff.Server.Tests;

/// <summary>The real server process, called over real sockets.</summary>
[Collection(SystemCollection.Name)]
public sealed class SystemTests
{
    private const string Model = "fashion-mnist-uvit";

    [Fact]
    public async Task ServerProcess_GenerateOverRealSockets_MetricsHealthAndReflectionAgree()
    {
        await using ServerProcess server = ServerProcess.Start();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await server.WaitReadyAsync(http, ServerProcess.DefaultReadyTimeout);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/healthz"))).StatusCode);
        string before = await http.GetStringAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/metrics"));

        using GrpcChannel channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}");
        var client = new DiffusionService.DiffusionServiceClient(channel);
        Generation g = await Generation.RunAsync(client, new GenerateRequest
        {
            NumImages = 2,
            Seed = 11,
            Steps = 4,
            ClassLabel = 5,
            Stream = new StreamOptions { LatentEncoding = LatentEncoding.Float16 },
        });
        Assert.Equal(4, g.Steps.Count);
        Assert.Equal(2, g.Result.Images.Count);

        string after = await http.GetStringAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/metrics"));
        double Delta(string series) => PrometheusText.Sum(after, series, Model) - PrometheusText.Sum(before, series, Model);
        Assert.Equal(g.Result.Stats.LayersExecuted, Delta("adadiff_layers_executed_total"));
        Assert.Equal(g.Result.Stats.LayersFull, Delta("adadiff_layers_full_total"));
        Assert.Equal(2, Delta("adadiff_images_total"));
        Assert.Equal(4, Delta("adadiff_steps_total"));
        Assert.Equal(8, Delta("adadiff_exit_layer_count"));
        foreach (string series in new[]
        {
            "adadiff_flops_executed_total", "adadiff_flops_saved_total", "adadiff_compute_saved_seconds_total",
            "adadiff_exit_layer_bucket", "adadiff_step_duration_seconds_bucket", "adadiff_generation_duration_seconds_bucket",
            "adadiff_queue_wait_seconds_bucket", "adadiff_first_step_latency_seconds_bucket", "adadiff_batch_size_bucket",
            "adadiff_generations_active", "adadiff_queue_depth",
        })
        {
            Assert.True(PrometheusText.Has(after, series, Model), $"{series} is missing from /metrics:\n{after}");
        }
        Assert.Contains("le=\"13\"", after, StringComparison.Ordinal);

        var health = new Health.HealthClient(channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await health.CheckAsync(new HealthCheckRequest { Service = "adadiff.v1.DiffusionService" })).Status);

        var reflection = new ServerReflection.ServerReflectionClient(channel);
        using AsyncDuplexStreamingCall<ServerReflectionRequest, ServerReflectionResponse> call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        string[] services = [.. call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name)];
        Assert.Contains("adadiff.v1.DiffusionService", services);
        Assert.Contains("grpc.health.v1.Health", services);

        // A deadline stops the generation: DEADLINE_EXCEEDED, and no generation stays active.
        RpcException deadline = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using AsyncServerStreamingCall<GenerateResponse> call = client.Generate(
                new GenerateRequest { Steps = 500, ClassLabel = 1, ExitPolicy = new ExitPolicy { Mode = ExitMode.FullDepth } },
                deadline: DateTime.UtcNow.AddMilliseconds(400));
            await foreach (GenerateResponse response in call.ResponseStream.ReadAllAsync())
            {
                Assert.Equal(GenerateResponse.EventOneofCase.Step, response.EventCase);
            }
        });
        Assert.Equal(StatusCode.DeadlineExceeded, deadline.StatusCode);
        var wait = System.Diagnostics.Stopwatch.StartNew();
        while (PrometheusText.Sum(await http.GetStringAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/metrics")), "adadiff_generations_active", Model) != 0)
        {
            Assert.True(wait.Elapsed < TimeSpan.FromSeconds(10), "the generation is still active 10 s after its deadline");
            await Task.Delay(50);
        }

        // The HTTP endpoints are bound to the port the request arrived on, not to the port its Host header names:
        // they answer behind a port mapping (the Host header then names the outer port) ...
        foreach (string path in new[] { "/readyz", "/healthz", "/metrics" })
        {
            using var mapped = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{server.HttpPort}{path}"));
            mapped.Headers.Host = "adadiff.example:59464";
            using HttpResponseMessage response = await http.SendAsync(mapped);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        // ... and the gRPC port (HTTP/2 only) never serves them, whatever its Host header says.
        using var h2c = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        foreach (string host in new[] { $"127.0.0.1:{server.GrpcPort}", $"127.0.0.1:{server.HttpPort}" })
        {
            using var onGrpcPort = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{server.GrpcPort}/metrics"));
            onGrpcPort.Headers.Host = host;
            using HttpResponseMessage response = await h2c.SendAsync(onGrpcPort);
            // 404 from routing; 400 from Kestrel when the Host header contradicts the request's :authority.
            Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{host}: {response.StatusCode}");
            Assert.DoesNotContain("adadiff_", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("--AdaDiff:DefaultModel=no-such-model", "AdaDiff:DefaultModel 'no-such-model' is not in the model repository")]
    [InlineData("--AdaDiff:ModelRepository=/nonexistent/models", "AdaDiff:ModelRepository '/nonexistent/models' does not exist")]
    [InlineData("--AdaDiff:MaxImagesPerRequest=0", "AdaDiff:MaxImagesPerRequest is 0; it must be in 1..1024")]
    public async Task ServerProcess_InvalidSetting_ExitsWithCode2NamingIt(string flag, string expected)
    {
        await using ServerProcess server = ServerProcess.Start(flag);

        int exitCode = await server.WaitForExitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal); // a message, not a stack trace
    }

    [Fact]
    public async Task ServerProcess_CorruptWeights_NotReadyAndExitsWithCode1()
    {
        string repository = Directory.CreateTempSubdirectory("adadiff-models-").FullName;
        try
        {
            string package = Directory.CreateDirectory(Path.Combine(repository, Model)).FullName;
            File.Copy(Path.Combine(TestPaths.ModelRepository, Model, "model.json"), Path.Combine(package, "model.json"));
            await File.WriteAllTextAsync(Path.Combine(package, "weights.safetensors"), "not safetensors");
            await using ServerProcess server = ServerProcess.Start($"--AdaDiff:ModelRepository={repository}");

            int exitCode = await server.WaitForExitAsync(TimeSpan.FromMinutes(1));

            Assert.Equal(1, exitCode);
            Assert.Contains("Loading the models failed", server.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(repository, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SystemCollection
{
    public const string Name = "system";
}
