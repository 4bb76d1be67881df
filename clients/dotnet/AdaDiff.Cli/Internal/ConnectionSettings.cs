namespace AdaDiff.Cli.Internal;

/// <summary>How to reach the server: the connection options of the command line and the environment's token.</summary>
internal sealed record ConnectionSettings(
    string Address, int Attempts, string? TokenFile, string? EnvironmentToken, bool Tls, string? CaFile, string? ClientCertificate, string? ClientKey)
{
    /// <summary>Where the token comes from, for messages: --token-file FILE, else ADADIFF_TOKEN when set and not blank, else null (none).</summary>
    public string? TokenSource => TokenFile is not null ? $"--token-file {TokenFile}"
        : !string.IsNullOrWhiteSpace(EnvironmentToken) ? CliApp.TokenVariable
        : null;

    public bool Secure(Uri uri) => uri.Scheme == Uri.UriSchemeHttps || Tls;

    /// <summary>Options that cannot go together, said with the command line's names; null when they can.</summary>
    public string? CredentialsError(Uri uri)
    {
        if (Tls && uri.Scheme == Uri.UriSchemeHttp)
        {
            return $"--tls with the http:// address {Address}; use https://host:port (or leave --tls out).";
        }
        if ((ClientCertificate is null) != (ClientKey is null))
        {
            return "--client-cert and --client-key go together (the certificate and its private key).";
        }
        if (!Secure(uri) && (CaFile is not null || ClientCertificate is not null))
        {
            return $"{(CaFile is not null ? "--ca-file" : "--client-cert")} needs TLS, but {Address} is plaintext: use an https:// --server address (or --tls with dns:///).";
        }
        return null;
    }
}
