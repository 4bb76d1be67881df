using System.Security.Authentication;
using AdaDiff.Grpc.V1;
using Grpc.Core;
using Grpc.Health.V1;

namespace AdaDiff.Client.Tests;

/// <summary>The C# library's bearer tokens, TLS and mutual TLS against real servers that require them.</summary>
[Collection(SecureServersCollection.Name)]
public sealed class CredentialsSystemTests(SecureServersFixture fixture)
{
    private static readonly GenerateRequest Small = new() { ClassLabel = 5, NumImages = 1, Steps = 2, Seed = 9 };

    private TestCredentials Credentials => fixture.Credentials;

    [Fact]
    public async Task Plaintext_TokenFile_GeneratesAPng_AndTheRawClientSendsItToo()
    {
        using var client = new AdaDiffClient(new AdaDiffClientOptions
        {
            Address = new Uri(fixture.TokenServer.GrpcAddress),
            TokenFile = Credentials.TokenFile, // the token with whitespace around it: trimmed
        });

        GenerationResult result = await client.GenerateToEndAsync(Small, timeout: TimeSpan.FromMinutes(1));

        AssertPng(result);
        Assert.NotEmpty((await client.Raw.ListModelsAsync(new ListModelsRequest())).Models);
    }

    [Fact]
    public async Task Plaintext_NoTokenOrAWrongOne_UnauthenticatedSayingATokenIsNeeded()
    {
        foreach (AdaDiffClientOptions options in new[]
        {
            new AdaDiffClientOptions { Address = new Uri(fixture.TokenServer.GrpcAddress) },
            new AdaDiffClientOptions { Address = new Uri(fixture.TokenServer.GrpcAddress), TokenFile = Credentials.WrongTokenFile },
            new AdaDiffClientOptions { Address = new Uri(fixture.TokenServer.GrpcAddress), Token = TestCredentials.Token + "x" },
        })
        {
            using var client = new AdaDiffClient(options);
            RpcException e = await Assert.ThrowsAsync<RpcException>(() => client.GenerateToEndAsync(Small, timeout: TimeSpan.FromMinutes(1)));
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
            Assert.Contains("bearer token", e.Status.Detail, StringComparison.Ordinal);
            RpcException list = await Assert.ThrowsAsync<RpcException>(() => client.ListModelsAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(StatusCode.Unauthenticated, list.StatusCode);
        }
    }

    [Fact]
    public async Task Tls_TrustingTheCaWithAToken_GeneratesAPng()
    {
        using var client = new AdaDiffClient(new AdaDiffClientOptions
        {
            Address = new Uri(SecureServersFixture.HttpsAddress(fixture.TlsServer)),
            CaFile = Credentials.CaFile,
            Token = TestCredentials.Token, // as call credentials over TLS
        });

        AssertPng(await client.GenerateToEndAsync(Small, timeout: TimeSpan.FromMinutes(1)));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await client.CheckHealthAsync(timeout: TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Tls_DnsAddressWithUseTls_ReachesTheServer()
    {
        using var client = new AdaDiffClient(new AdaDiffClientOptions
        {
            Address = new Uri($"dns:///127.0.0.1:{fixture.TlsServer.GrpcPort}"),
            RoundRobin = true,
            UseTls = true,
            CaFile = Credentials.CaFile,
            TokenFile = Credentials.TokenFile,
        });

        Assert.True((await client.ListModelsAsync(TimeSpan.FromSeconds(30)))[0].IsDefault);
    }

    [Fact]
    public async Task Tls_WithoutTrustingTheCa_TheHandshakeFails()
    {
        foreach (string? caFile in new[] { null, Credentials.OtherCaFile }) // the system's roots; a CA that did not issue it
        {
            using var client = new AdaDiffClient(new AdaDiffClientOptions
            {
                Address = new Uri(SecureServersFixture.HttpsAddress(fixture.TlsServer)),
                CaFile = caFile,
                Token = TestCredentials.Token,
                MaxAttempts = 1,
            });
            RpcException e = await Assert.ThrowsAsync<RpcException>(() => client.ListModelsAsync(TimeSpan.FromSeconds(30)));
            // grpc-dotnet reports a handshake it refused as INTERNAL, which is not retried
            Assert.Equal(StatusCode.Internal, e.StatusCode);
            Assert.Contains("SSL connection could not be established", e.Status.Detail, StringComparison.Ordinal);
            Assert.True(Causes(e).Any(c => c is AuthenticationException), $"not a TLS failure: {e.Status.DebugException}");
        }
    }

    [Fact]
    public async Task Tls_TrustingTheCaWithoutAToken_Unauthenticated()
    {
        using var client = new AdaDiffClient(new AdaDiffClientOptions
        {
            Address = new Uri(SecureServersFixture.HttpsAddress(fixture.TlsServer)),
            CaFile = Credentials.CaFile,
        });
        RpcException e = await Assert.ThrowsAsync<RpcException>(() => client.GenerateToEndAsync(Small, timeout: TimeSpan.FromMinutes(1)));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("bearer token", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MutualTls_ClientCertificate_GeneratesAPng_WithoutOneTheHandshakeFails()
    {
        var options = new AdaDiffClientOptions
        {
            Address = new Uri(SecureServersFixture.HttpsAddress(fixture.MutualTlsServer)),
            CaFile = Credentials.CaFile,
            TokenFile = Credentials.TokenFile,
            ClientCertificateFile = Credentials.ClientCertificateFile,
            ClientKeyFile = Credentials.ClientKeyFile,
        };
        using (var client = new AdaDiffClient(options))
        {
            AssertPng(await client.GenerateToEndAsync(Small, timeout: TimeSpan.FromMinutes(1)));
        }

        options.ClientCertificateFile = options.ClientKeyFile = null;
        options.MaxAttempts = 1;
        using (var client = new AdaDiffClient(options))
        {
            // The server refuses the handshake after it completed on the client's side (TLS 1.3) and closes the
            // connection: grpc-dotnet says UNAVAILABLE or INTERNAL, depending on when it notices.
            RpcException e = await Assert.ThrowsAsync<RpcException>(() => client.ListModelsAsync(TimeSpan.FromSeconds(30)));
            Assert.True(e.StatusCode is StatusCode.Unavailable or StatusCode.Internal, e.ToString());
            Assert.Contains(Causes(e), c => c is HttpRequestException);
        }
    }

    private static void AssertPng(GenerationResult result)
    {
        GeneratedImage image = Assert.Single(result.Images);
        PreviewImage decoded = PreviewImage.Decode(image.Png.Span); // every pixel, not only the header
        Assert.Equal((28, 28), (decoded.Width, decoded.Height));
    }

    private static IEnumerable<Exception> Causes(RpcException e)
    {
        for (Exception? inner = e.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            yield return inner;
        }
    }
}
