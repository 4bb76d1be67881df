using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace AdaDiff.Server.Security;

/// <summary>Kestrel's TLS from <see cref="TlsOptions"/>: the server certificate, and client certificates against a CA for mutual TLS.</summary>
internal static class TlsSetup
{
    /// <summary>Adds TLS to <paramref name="listen"/> when a certificate is configured; leaves it plaintext otherwise.</summary>
    public static void Apply(ListenOptions listen, TlsOptions tls)
    {
        if (string.IsNullOrEmpty(tls.CertificateFile) || string.IsNullOrEmpty(tls.KeyFile))
        {
            return;
        }
        #pragma warning disable CA2000 // the listener serves this certificate until the process exits
        X509Certificate2 certificate = X509Certificate2.CreateFromPemFile(tls.CertificateFile, tls.KeyFile);
        #pragma warning restore CA2000
        X509Certificate2Collection? clientCas = null;
        if (!string.IsNullOrEmpty(tls.ClientCaFile))
        {
            clientCas = [];
            clientCas.ImportFromPemFile(tls.ClientCaFile);
        }
        listen.UseHttps(https =>
        {
            https.ServerCertificate = certificate;
            if (clientCas is not null)
            {
                https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                https.ClientCertificateValidation = (client, _, _) => IssuedBy(client, clientCas);
            }
        });
    }

    /// <summary>True when <paramref name="client"/> chains to one of <paramref name="roots"/> (and nothing else).</summary>
    private static bool IssuedBy(X509Certificate2 client, X509Certificate2Collection roots)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(client);
    }
}
