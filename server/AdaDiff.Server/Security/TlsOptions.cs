namespace AdaDiff.Server.Security;

/// <summary>TLS on both ports from PEM files (<c>AdaDiff:Tls</c>). Off unless <see cref="CertificateFile"/> is set.</summary>
public sealed class TlsOptions
{
    /// <summary>PEM certificate (chain) served on the gRPC and HTTP ports. Empty (default): plaintext.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="CertificateFile"/> (unencrypted). Required with it.</summary>
    public string? KeyFile { get; set; }

    /// <summary>PEM CA certificate(s): when set, clients must present a certificate issued by one of them (mutual TLS).</summary>
    public string? ClientCaFile { get; set; }
}
