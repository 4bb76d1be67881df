using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AdaDiff.Tests.Shared;

/// <summary>
/// Credentials made for one test run in a temporary folder, as an operator would hand them out: a CA, a server
/// certificate for 127.0.0.1 issued by it, a client certificate issued by it (mutual TLS), a second CA nobody trusts,
/// the server's token file (a comment and one token) and the client's token file (the token with whitespace around
/// it, which the clients trim).
/// </summary>
public sealed class TestCredentials : IDisposable
{
    /// <summary>The token the servers accept.</summary>
    public const string Token = "s3cret-Token_42";

    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("adadiff-credentials-");

    public TestCredentials()
    {
        using X509Certificate2 ca = Create("CN=adadiff test CA", issuer: null, usage: null);
        using X509Certificate2 server = Create("CN=127.0.0.1", ca, usage: "1.3.6.1.5.5.7.3.1");
        using X509Certificate2 client = Create("CN=adadiff test client", ca, usage: "1.3.6.1.5.5.7.3.2");
        using X509Certificate2 otherCa = Create("CN=some other CA", issuer: null, usage: null);
        CaFile = Write("ca.crt", ca.ExportCertificatePem());
        ServerCertificateFile = Write("server.crt", server.ExportCertificatePem());
        ServerKeyFile = Write("server.key", server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        ClientCertificateFile = Write("client.crt", client.ExportCertificatePem());
        ClientKeyFile = Write("client.key", client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        OtherCaFile = Write("other-ca.crt", otherCa.ExportCertificatePem());
        ServerTokenFile = Write("tokens", $"# tokens the server accepts, one per line\n{Token}\n");
        TokenFile = Write("token", $"  {Token}\n\n");
        WrongTokenFile = Write("wrong-token", "not-the-token\n");
    }

    public string Folder => dir.FullName;

    public string CaFile { get; }

    public string ServerCertificateFile { get; }

    public string ServerKeyFile { get; }

    public string ClientCertificateFile { get; }

    public string ClientKeyFile { get; }

    /// <summary>A CA that issued nothing the servers use.</summary>
    public string OtherCaFile { get; }

    /// <summary>The server's <c>--AdaDiff:Auth:TokenFile</c>.</summary>
    public string ServerTokenFile { get; }

    /// <summary>The client's token file: <see cref="Token"/> with whitespace and a blank line around it.</summary>
    public string TokenFile { get; }

    public string WrongTokenFile { get; }

    /// <summary>A file with the given text in the credentials folder.</summary>
    public string Write(string name, string text)
    {
        string path = Path.Combine(dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>An HTTP handler that trusts only the test CA and presents the client certificate when asked (for /readyz over https).</summary>
    public HttpClientHandler TrustingHandler(bool withClientCertificate)
    {
        var cas = new X509Certificate2Collection();
        cas.ImportFromPemFile(CaFile);
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                if (certificate is null)
                {
                    return false;
                }
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(cas);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            },
        };
        if (withClientCertificate)
        {
            handler.ClientCertificates.Add(X509Certificate2.CreateFromPemFile(ClientCertificateFile, ClientKeyFile));
        }
        return handler;
    }

    public void Dispose() => dir.Delete(recursive: true);

    /// <summary>A P-256 certificate: a self-signed CA when <paramref name="issuer"/> is null, else a leaf for 127.0.0.1 with the extended key usage given.</summary>
    private static X509Certificate2 Create(string subject, X509Certificate2? issuer, string? usage)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(issuer is null, false, 0, true));
        if (usage is not null)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }
        DateTimeOffset from = DateTimeOffset.UtcNow.AddMinutes(-5);
        if (issuer is null)
        {
            return request.CreateSelfSigned(from, from.AddDays(2));
        }
        using X509Certificate2 signed = request.Create(issuer, from, from.AddDays(1), RandomNumberGenerator.GetBytes(8)); // within the CA's validity
        return signed.CopyWithPrivateKey(key);
    }
}
