using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AdaDiff.Grpc.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace AdaDiff.Server.Tests;

/// <summary>Bearer tokens and TLS (server and mutual) on the real server process, with real sockets and certificates.</summary>
[Collection(SystemCollection.Name)]
public sealed class SecuritySystemTests : IDisposable
{
    private static readonly GenerateRequest Small = new() { NumImages = 1, Steps = 3, ClassLabel = 2, Seed = 4 };
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("adadiff-security-");

    public void Dispose() => dir.Delete(recursive: true);

    [Fact]
    public async Task TokenFile_CallsWithoutAValidToken_UnauthenticatedOnGrpcAndHttpJson_ProbesAndMetricsOpen()
    {
        string tokens = Path.Combine(dir.FullName, "tokens");
        await File.WriteAllTextAsync(tokens, "# one token per line\nfirst-secret\n\n  second-secret  \n");
        await using ServerProcess server = await ServerProcess.StartAsync(ServerProcess.DefaultReadyTimeout, $"--AdaDiff:Auth:TokenFile={tokens}");
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new DiffusionService.DiffusionServiceClient(channel);

        foreach (Metadata? headers in new Metadata?[] { null, new() { { "authorization", "Bearer wrong" } }, new() { { "authorization", "first-secret" } } })
        {
            RpcException e = await Assert.ThrowsAsync<RpcException>(() => client.ListModelsAsync(new ListModelsRequest(), headers).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
            RpcException g = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                using AsyncServerStreamingCall<GenerateResponse> call = client.Generate(Small, headers);
                await call.ResponseStream.MoveNext(CancellationToken.None);
            });
            Assert.Equal(StatusCode.Unauthenticated, g.StatusCode);
            Assert.Contains("bearer token", g.Status.Detail, StringComparison.Ordinal);
        }
        var good = new Metadata { { "authorization", "Bearer second-secret" } };
        Assert.NotEmpty((await client.ListModelsAsync(new ListModelsRequest(), good)).Models);
        using (AsyncServerStreamingCall<GenerateResponse> call = client.Generate(Small, good))
        {
            int events = 0;
            await foreach (GenerateResponse _ in call.ResponseStream.ReadAllAsync())
            {
                events++;
            }
            Assert.Equal(4, events); // 3 steps, then the result
        }

        // HTTP/JSON on the HTTP port: the same tokens.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var generate = new Uri($"http://127.0.0.1:{server.HttpPort}/v1/generate");
        using (HttpResponseMessage refused = await http.PostAsync(generate, Json("{\"numImages\":1,\"steps\":2,\"classLabel\":1}")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
        }
        using (var request = new HttpRequestMessage(HttpMethod.Post, generate) { Content = Json("{\"numImages\":1,\"steps\":2,\"classLabel\":1}") })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "first-secret");
            using HttpResponseMessage accepted = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }
        // Probes and scrapes stay open by default.
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest())).Status);
        foreach (string path in new[] { "/healthz", "/readyz", "/metrics" })
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"http://127.0.0.1:{server.HttpPort}{path}"))).StatusCode);
        }
    }

    [Fact]
    public async Task TokenFile_ProtectHealthAndMetrics_ProbesNeedTheTokenToo()
    {
        string tokens = Path.Combine(dir.FullName, "tokens");
        await File.WriteAllTextAsync(tokens, "probe-secret\n");
        await using ServerProcess server = ServerProcess.Start($"--AdaDiff:Auth:TokenFile={tokens}", "--AdaDiff:Auth:ProtectHealth=true", "--AdaDiff:Auth:ProtectMetrics=true");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "probe-secret");
        await server.WaitReadyAsync(http);
        using var anonymous = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (string path in new[] { "/healthz", "/readyz", "/metrics" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri($"http://127.0.0.1:{server.HttpPort}{path}"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"http://127.0.0.1:{server.HttpPort}{path}"))).StatusCode);
        }
    }

    [Fact]
    public async Task TokenFile_Empty_StopsTheStartWithCode2NamingIt()
    {
        string tokens = Path.Combine(dir.FullName, "tokens");
        await File.WriteAllTextAsync(tokens, "# nothing yet\n");
        await using ServerProcess server = ServerProcess.Start($"--AdaDiff:Auth:TokenFile={tokens}");

        Assert.Equal(2, await server.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains("AdaDiff:Auth:TokenFile: " + tokens + ": no token in the token file", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_SelfSignedCertificate_GrpcAndHttpsWork_PlaintextDoesNot_MutualTlsNeedsAClientCertificate()
    {
        // A CA, a server certificate for 127.0.0.1 and a client certificate it issued (tests/Shared/TestCredentials.cs).
        using var credentials = new TestCredentials();
        await using ServerProcess server = ServerProcess.Start($"--AdaDiff:Tls:CertificateFile={credentials.ServerCertificateFile}",
            $"--AdaDiff:Tls:KeyFile={credentials.ServerKeyFile}", $"--AdaDiff:Tls:ClientCaFile={credentials.CaFile}");
        using HttpClientHandler withClientCertificate = credentials.TrustingHandler(withClientCertificate: true);
        using var https = new HttpClient(withClientCertificate, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(10) };
        await WaitReadyAsync(server, https);

        // gRPC over TLS with the client certificate: served.
        using (GrpcChannel channel = GrpcChannel.ForAddress($"https://127.0.0.1:{server.GrpcPort}", new GrpcChannelOptions { HttpHandler = withClientCertificate, DisposeHttpClient = false }))
        {
            Generation g = await Generation.RunAsync(new DiffusionService.DiffusionServiceClient(channel), Small);
            Assert.Single(g.Result.Images);
        }
        // Without a client certificate the handshake is refused; plaintext gets nothing either.
        using HttpClientHandler noClientCertificate = credentials.TrustingHandler(withClientCertificate: false);
        using (GrpcChannel channel = GrpcChannel.ForAddress($"https://127.0.0.1:{server.GrpcPort}", new GrpcChannelOptions { HttpHandler = noClientCertificate, DisposeHttpClient = false }))
        {
            RpcException e = await Assert.ThrowsAsync<RpcException>(() => new DiffusionService.DiffusionServiceClient(channel).ListModelsAsync(new ListModelsRequest()).ResponseAsync);
            Assert.True(e.StatusCode is StatusCode.Unavailable or StatusCode.Internal, $"{e.StatusCode}: {e.Status.Detail}");
        }
        using (GrpcChannel plaintext = GrpcChannel.ForAddress(server.GrpcAddress))
        {
            // The TLS listener either drops the connection (UNAVAILABLE) or answers the cleartext preface with an
            // HTTP/1.1 error (INTERNAL: "response protocol downgraded"); which one depends on timing. Never a response.
            RpcException e = await Assert.ThrowsAsync<RpcException>(() => new DiffusionService.DiffusionServiceClient(plaintext).ListModelsAsync(new ListModelsRequest()).ResponseAsync);
            Assert.True(e.StatusCode is StatusCode.Unavailable or StatusCode.Internal, $"{e.StatusCode}: {e.Status.Detail}");
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task WaitReadyAsync(ServerProcess server, HttpClient https)
    {
        using var timeout = new CancellationTokenSource(ServerProcess.DefaultReadyTimeout);
        while (true)
        {
            Assert.False(server.HasExited, $"the server exited:\n{server.Output}");
            try
            {
                using HttpResponseMessage response = await https.GetAsync(new Uri($"https://127.0.0.1:{server.HttpPort}/readyz"), timeout.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(200, timeout.Token);
        }
    }
}
