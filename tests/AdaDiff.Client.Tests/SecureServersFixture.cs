namespace AdaDiff.Client.Tests;

/// <summary>
/// Three real servers that take credentials, started side by side once for the collection: bearer tokens over
/// plaintext, bearer tokens over TLS, and bearer tokens over mutual TLS (a client certificate of the test CA
/// required). Every one accepts <see cref="TestCredentials.Token"/>.
/// </summary>
public sealed class SecureServersFixture : IAsyncLifetime
{
    private ServerProcess? token, tls, mutualTls;

    public TestCredentials Credentials { get; } = new();

    /// <summary>Plaintext, <c>--AdaDiff:Auth:TokenFile</c>.</summary>
    internal ServerProcess TokenServer => token ?? throw new InvalidOperationException("not started");

    /// <summary>TLS with the test CA's server certificate, and the token file.</summary>
    internal ServerProcess TlsServer => tls ?? throw new InvalidOperationException("not started");

    /// <summary>As <see cref="TlsServer"/>, and a client certificate of the test CA required.</summary>
    internal ServerProcess MutualTlsServer => mutualTls ?? throw new InvalidOperationException("not started");

    internal static string HttpsAddress(ServerProcess server) => $"https://127.0.0.1:{server.GrpcPort}";

    public async Task InitializeAsync()
    {
        string tokens = $"--AdaDiff:Auth:TokenFile={Credentials.ServerTokenFile}";
        string[] tls = [$"--AdaDiff:Tls:CertificateFile={Credentials.ServerCertificateFile}", $"--AdaDiff:Tls:KeyFile={Credentials.ServerKeyFile}"];
        token = ServerProcess.Start(tokens);
        this.tls = ServerProcess.Start([tokens, .. tls]);
        mutualTls = ServerProcess.Start([tokens, .. tls, $"--AdaDiff:Tls:ClientCaFile={Credentials.CaFile}"]);
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var https = new HttpClient(Credentials.TrustingHandler(withClientCertificate: false)) { Timeout = TimeSpan.FromSeconds(10) };
        using var mutual = new HttpClient(Credentials.TrustingHandler(withClientCertificate: true)) { Timeout = TimeSpan.FromSeconds(10) };
        // Loaded side by side; a failure leaves them to DisposeAsync, which xunit calls after a failed InitializeAsync.
        await Task.WhenAll(
            token.WaitReadyAsync(plain),
            this.tls.WaitReadyAsync(https, https: true),
            mutualTls.WaitReadyAsync(mutual, https: true));
    }

    public async Task DisposeAsync()
    {
        foreach (ServerProcess? server in new[] { token, tls, mutualTls })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
        Credentials.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SecureServersCollection : ICollectionFixture<SecureServersFixture>
{
    public const string Name = "servers with credentials";
}
