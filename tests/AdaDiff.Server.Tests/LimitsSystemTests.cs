using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AdaDiff.Grpc.V1;
using AdaDiff.Server.Backends;
using AdaDiff.Server.Internal;
using AdaDiff.Server.Tests.Http2;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace AdaDiff.Server.Tests;

/// <summary>
/// <c>AdaDiff:Limits</c> set small on the real server: each limit holds for gRPC and for HTTP/JSON, on both ports, and
/// a call over one gets a status that names the limit (gRPC RESOURCE_EXHAUSTED; HTTP 431, 413 or 429 with a JSON status).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class LimitsSystemTests
{
    private const int Headers = 4096;
    private const int Count = 20;
    private const int Receive = 2048;
    private const int Send = 4096;
    private const string Model = "fashion-mnist-uvit";

    private static readonly string[] Flags =
    [
        $"--AdaDiff:Limits:MaxRequestHeadersBytes={Headers}",
        $"--AdaDiff:Limits:MaxRequestHeaderCount={Count}",
        $"--AdaDiff:Limits:MaxReceiveMessageBytes={Receive}",
        $"--AdaDiff:Limits:MaxSendMessageBytes={Send}",
    ];

    [Fact]
    public async Task ConfiguredLimits_HoldForGrpcAndHttpJsonOnBothPorts_EachRefusalNamesItsLimit()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(ServerProcess.DefaultReadyTimeout, Flags);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        CancellationToken ct = guard.Token;
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new DiffusionService.DiffusionServiceClient(channel);

        // gRPC: headers (bytes, then fields), the request message at and past the limit, the response message.
        await AssertRefused(() => client.ListModelsAsync(new ListModelsRequest(), new Metadata { { "x-big", new string('h', Headers) } }, cancellationToken: ct).ResponseAsync,
            StatusCode.ResourceExhausted, $"limit of {Headers} bytes (AdaDiff:Limits:MaxRequestHeadersBytes)");
        var many = new Metadata();
        for (int i = 0; i < Count; i++)
        {
            many.Add($"x-m{i}", "v");
        }
        await AssertRefused(() => client.ListModelsAsync(new ListModelsRequest(), many, cancellationToken: ct).ResponseAsync,
            StatusCode.ResourceExhausted, $"limit of {Count} (AdaDiff:Limits:MaxRequestHeaderCount)");
        await AssertRefused(() => FirstEvent(client, PromptOfSize(Receive + 1), ct), StatusCode.ResourceExhausted,
            $"is {Receive + 1} bytes, over this server's limit of {Receive} bytes (AdaDiff:Limits:MaxReceiveMessageBytes)");
        // At the limit the message is read and judged on its fields: a prompt for a class-conditional model.
        await AssertRefused(() => FirstEvent(client, PromptOfSize(Receive), ct), StatusCode.InvalidArgument, "prompt");
        var twoLatents = new GenerateRequest { NumImages = 2, Steps = 2, ClassLabel = 1, Seed = 2, Stream = new StreamOptions { LatentEncoding = LatentEncoding.Float32 } };
        await AssertRefused(() => FirstEvent(client, twoLatents, ct), StatusCode.ResourceExhausted,
            $"over this server's limit of {Send} bytes (AdaDiff:Limits:MaxSendMessageBytes)");
        Generation small = await Generation.RunAsync(client, new GenerateRequest { NumImages = 1, Steps = 2, ClassLabel = 1, Seed = 2, Stream = new StreamOptions { LatentEncoding = LatentEncoding.Float16 } }, ct);
        Assert.Equal(2, small.Steps.Count);

        // A generation whose events cannot be sent stops: it does not run its 1000 steps for nobody.
        using var http11 = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var metricsUri = new Uri($"http://127.0.0.1:{server.HttpPort}/metrics");
        string before = await IdleMetricsAsync(http11, metricsUri, ct);
        var thousandSteps = new GenerateRequest(twoLatents) { Steps = 1000 };
        await AssertRefused(() => FirstEvent(client, thousandSteps, ct), StatusCode.ResourceExhausted, "(AdaDiff:Limits:MaxSendMessageBytes)");
        string after = await IdleMetricsAsync(http11, metricsUri, ct);
        Assert.Equal(PrometheusText.Sum(before, "adadiff_images_total", Model), PrometheusText.Sum(after, "adadiff_images_total", Model));
        Assert.True(PrometheusText.Sum(after, "adadiff_steps_total", Model) - PrometheusText.Sum(before, "adadiff_steps_total", Model) < 1000);

        // HTTP/JSON on the HTTP port (HTTP/1.1) and on the gRPC port (HTTP/2): the same limits, as HTTP statuses.
        using HttpClient h2c = RawGrpcCall.CreateH2cClient();
        foreach ((HttpClient http, Uri root) in new[] { (http11, new Uri($"http://127.0.0.1:{server.HttpPort}")), (h2c, new Uri(server.GrpcAddress)) })
        {
            string port = root.Port == server.HttpPort ? "HTTP port" : "gRPC port";
            using (var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, "/v1/models")))
            {
                request.Headers.Add("x-big", new string('h', Headers));
                await AssertJsonError(http, request, HttpStatusCode.RequestHeaderFieldsTooLarge, 8, "AdaDiff:Limits:MaxRequestHeadersBytes", port);
            }
            using (var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, "/v1/models")))
            {
                for (int i = 0; i < Count; i++)
                {
                    request.Headers.Add($"x-m{i}", "v");
                }
                await AssertJsonError(http, request, HttpStatusCode.RequestHeaderFieldsTooLarge, 8, "AdaDiff:Limits:MaxRequestHeaderCount", port);
            }
            await AssertJsonError(http, Post(root, $"{{\"prompt\":\"{new string('p', Receive)}\"}}"), HttpStatusCode.RequestEntityTooLarge, 8,
                $"over this server's limit of {Receive} bytes (AdaDiff:Limits:MaxReceiveMessageBytes)", port);
            await AssertJsonError(http, Post(root, "{\"steps\": 2,"), HttpStatusCode.BadRequest, 3, "Request JSON payload is not correctly formatted.", port);
            // Transcoding names the enum it could not read; the .NET name becomes the protobuf one.
            string enumError = await AssertJsonError(http, Post(root, "{\"sampler\":\"SAMPLER_NOPE\"}"), HttpStatusCode.BadRequest, 3, "to enum type adadiff.v1.Sampler.", port);
            Assert.DoesNotContain("AdaDiff.Grpc", enumError, StringComparison.Ordinal);
            await AssertJsonError(http, Post(root, "{\"numImages\":2,\"steps\":2,\"classLabel\":1,\"stream\":{\"latentEncoding\":\"LATENT_ENCODING_FLOAT32\"}}"),
                HttpStatusCode.TooManyRequests, 8, "(AdaDiff:Limits:MaxSendMessageBytes)", port);
        }
        // Every endpoint: /metrics too.
        using (var metrics = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{server.HttpPort}/metrics")))
        {
            metrics.Headers.Add("x-big", new string('h', Headers));
            await AssertJsonError(http11, metrics, HttpStatusCode.RequestHeaderFieldsTooLarge, 8, "AdaDiff:Limits:MaxRequestHeadersBytes", "metrics");
        }
        // A body without Content-Length that runs past the limit (HTTP/2, where the connection stays): 400 naming it.
        using (var chunked = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(server.GrpcAddress), "/v1/generate")))
        {
            chunked.Content = new StreamContent(new UnknownLengthStream(Encoding.UTF8.GetBytes($"{{\"prompt\":\"{new string('p', 3 * Receive)}\"}}")));
            chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            await AssertJsonError(h2c, chunked, HttpStatusCode.BadRequest, 3, $"{Receive} bytes", "gRPC port, no Content-Length");
        }
    }

    [Fact]
    public async Task BadLimit_StopsTheStartWithCode2NamingIt()
    {
        await using ServerProcess server = ServerProcess.Start("--AdaDiff:Limits:MaxReceiveMessageBytes=10");

        Assert.Equal(2, await server.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains("AdaDiff:Limits:MaxReceiveMessageBytes is 10; it must be in 1024..1073741824.", server.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MaxRequestHeadersBytes", 1023)]
    [InlineData("MaxRequestHeadersBytes", 1024 * 1024 + 1)]
    [InlineData("MaxRequestHeaderCount", 15)]
    [InlineData("MaxRequestHeaderCount", 10_001)]
    [InlineData("MaxReceiveMessageBytes", 0)]
    [InlineData("MaxSendMessageBytes", -1)]
    public void Validate_LimitOutOfRange_FailsNamingIt(string setting, int value)
    {
        var options = new AdaDiffOptions { ModelRepository = TestPaths.ModelRepository };
        typeof(LimitsOptions).GetProperty(setting)!.SetValue(options.Limits, value);

        ValidateOptionsResult result = new AdaDiffOptionsValidator(ModelBackends.KnownBackends).Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains($"AdaDiff:Limits:{setting} is {value}", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void KestrelLimits_FourTimesTheServersOwn_HeaderFieldUpToTheConnectionThreshold()
    {
        var limits = new LimitsOptions();
        var kestrel = new Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions();

        Microsoft.Extensions.DependencyInjection.AdaDiffServiceCollectionExtensions.ApplyLimits(kestrel.Limits, limits);

        Assert.Equal(128 * 1024, kestrel.Limits.MaxRequestHeadersTotalSize);
        Assert.Equal(400, kestrel.Limits.MaxRequestHeaderCount);
        Assert.Equal(256 * 1024, kestrel.Limits.Http2.MaxRequestHeaderFieldSize);
        Assert.Equal(4 * 1024 * 1024, kestrel.Limits.MaxRequestBodySize);
    }

    /// <summary>/metrics once no generation is active any more (the scheduler has let go of every job).</summary>
    private static async Task<string> IdleMetricsAsync(HttpClient http, Uri metrics, CancellationToken ct)
    {
        while (true)
        {
            string text = await http.GetStringAsync(metrics, ct);
            if (PrometheusText.Sum(text, "adadiff_generations_active", Model) == 0 && PrometheusText.Sum(text, "adadiff_queue_depth", Model) == 0)
            {
                return text;
            }
            await Task.Delay(50, ct);
        }
    }

    /// <summary>A Generate request whose protobuf encoding is exactly <paramref name="size"/> bytes (a prompt and nothing else).</summary>
    private static GenerateRequest PromptOfSize(int size)
    {
        var request = new GenerateRequest { Prompt = new string('p', size) };
        while (request.CalculateSize() > size)
        {
            request.Prompt = request.Prompt[..^1];
        }
        Assert.Equal(size, request.CalculateSize());
        return request;
    }

    private static async Task FirstEvent(DiffusionService.DiffusionServiceClient client, GenerateRequest request, CancellationToken ct)
    {
        using AsyncServerStreamingCall<GenerateResponse> call = client.Generate(request, cancellationToken: ct);
        await call.ResponseStream.MoveNext(ct);
    }

    private static async Task AssertRefused(Func<Task> call, StatusCode code, string detail)
    {
        RpcException e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, e.StatusCode);
        Assert.Contains(detail, e.Status.Detail, StringComparison.Ordinal);
    }

    private static HttpRequestMessage Post(Uri root, string json) =>
        new(HttpMethod.Post, new Uri(root, "/v1/generate")) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    /// <summary>Sends the request; asserts the status and a google.rpc.Status body with the code and a message containing the text.</summary>
    private static async Task<string> AssertJsonError(HttpClient http, HttpRequestMessage request, HttpStatusCode status, int code, string text, string where)
    {
        using (request)
        {
            if (http.DefaultRequestVersion == HttpVersion.Version20)
            {
                request.Version = HttpVersion.Version20;
                request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            }
            using HttpResponseMessage response = await http.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{where} {request.RequestUri}: {(int)response.StatusCode} {body}");
            using JsonDocument json = JsonDocument.Parse(body);
            Assert.Equal(code, json.RootElement.GetProperty("code").GetInt32());
            string message = json.RootElement.GetProperty("message").GetString()!;
            Assert.True(message.Contains(text, StringComparison.Ordinal), $"{where}: '{message}' does not contain '{text}'");
            return message;
        }
    }

    /// <summary>A readable stream that does not know its length, so HttpClient sends the body without Content-Length.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
