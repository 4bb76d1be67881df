using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AdaDiff.Client.Internal;

/// <summary>
/// The credentials of <see cref="AdaDiffClientOptions"/>, read and checked when a client is created so that a missing
/// or empty file, or a setting that cannot apply (a CA file with a plaintext address), fails there, before any call.
/// </summary>
internal sealed class ClientCredentials : IDisposable
{
    private ClientCredentials(bool secure, string? token, X509Certificate2Collection? trustedCas, X509Certificate2? clientCertificate)
    {
        Secure = secure;
        Token = token;
        TrustedCas = trustedCas;
        ClientCertificate = clientCertificate;
    }

    /// <summary>TLS: an https:// address, or <see cref="AdaDiffClientOptions.UseTls"/>.</summary>
    public bool Secure { get; }

    /// <summary>The bearer token to send, or null.</summary>
    public string? Token { get; }

    /// <summary>The CAs to trust instead of the system's roots, or null for the system's.</summary>
    public X509Certificate2Collection? TrustedCas { get; }

    /// <summary>The certificate (with its key) to present for mutual TLS, or null.</summary>
    public X509Certificate2? ClientCertificate { get; }

    /// <summary>Reads the files <paramref name="options"/> name; throws with a message naming the file or setting at fault.</summary>
    /// <exception cref="ArgumentException">Settings that contradict each other or the address.</exception>
    /// <exception cref="FileNotFoundException">A token, CA or certificate file that does not exist.</exception>
    /// <exception cref="InvalidDataException">A token file without exactly one usable token, or a CA file without a certificate.</exception>
    /// <exception cref="FormatException">A <see cref="AdaDiffClientOptions.Token"/> that is blank or that a header cannot carry.</exception>
    /// <exception cref="CryptographicException">A client certificate or key that cannot be loaded.</exception>
    public static ClientCredentials Load(AdaDiffClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string scheme = options.Address.Scheme;
        if (options.UseTls && scheme == Uri.UriSchemeHttp)
        {
            throw new ArgumentException($"UseTls is set but the address {options.Address} is http://; use https://host:port.", nameof(options));
        }
        bool secure = scheme == Uri.UriSchemeHttps || options.UseTls;
        if (!secure)
        {
            string? tlsOnly = options.CaFile is not null ? "a CA file" : options.ClientCertificateFile is not null || options.ClientKeyFile is not null ? "a client certificate" : null;
            if (tlsOnly is not null)
            {
                throw new ArgumentException(
                    $"{tlsOnly} is set but the address {options.Address} is plaintext; use an https:// address (or UseTls with dns:///).", nameof(options));
            }
        }
        if (options.Token is not null && options.TokenFile is not null)
        {
            throw new ArgumentException("Both Token and TokenFile are set; set one.", nameof(options));
        }
        if ((options.ClientCertificateFile is null) != (options.ClientKeyFile is null))
        {
            throw new ArgumentException("A client certificate needs both its certificate file and its key file.", nameof(options));
        }

        string? token = options.TokenFile is not null ? ReadTokenFile(options.TokenFile) : options.Token is not null ? CheckToken(options.Token) : null;
        X509Certificate2Collection? cas = options.CaFile is null ? null : ReadCaFile(options.CaFile);
        X509Certificate2? client = null;
        if (options.ClientCertificateFile is not null)
        {
            MustExist(options.ClientCertificateFile, "client certificate file");
            MustExist(options.ClientKeyFile!, "client key file");
            try
            {
                client = X509Certificate2.CreateFromPemFile(options.ClientCertificateFile, options.ClientKeyFile);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                // ArgumentException: a key that is not this certificate's
                throw new CryptographicException(
                    $"The client certificate {options.ClientCertificateFile} with the key {options.ClientKeyFile} cannot be loaded (PEM certificate, unencrypted PEM key of that certificate): {e.Message}", e);
            }
        }
        return new ClientCredentials(secure, token, cas, client);
    }

    /// <summary>The one token of a token file, trimmed; blank lines and <c>#</c> comments skipped (the server's format).</summary>
    internal static string ReadTokenFile(string path)
    {
        MustExist(path, "token file");
        string[] tokens = [.. File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];
        return tokens.Length switch
        {
            0 => throw new InvalidDataException($"The token file {path} is empty; it must hold the bearer token."),
            1 => Problem(tokens[0]) is string problem ? throw new InvalidDataException($"The token in the token file {path} {problem}.") : tokens[0],
            _ => throw new InvalidDataException($"The token file {path} holds {tokens.Length} tokens; a client sends one, so the file must hold one."),
        };
    }

    /// <summary><see cref="AdaDiffClientOptions.Token"/>, trimmed; throws <see cref="FormatException"/> unless a header can carry it.</summary>
    private static string CheckToken(string token)
    {
        string trimmed = token.Trim();
        return Problem(trimmed) is string problem ? throw new FormatException($"The token {problem}.") : trimmed;
    }

    /// <summary>Why an authorization header cannot carry <paramref name="token"/>, or null when it can (visible ASCII, no spaces).</summary>
    private static string? Problem(string token) =>
        token.Length == 0 ? "is empty"
        : token.Any(c => c is < '!' or > '~') ? "holds a space or a character outside visible ASCII, which an authorization header cannot carry"
        : null;

    private static X509Certificate2Collection ReadCaFile(string path)
    {
        MustExist(path, "CA file");
        var cas = new X509Certificate2Collection();
        try
        {
            cas.ImportFromPemFile(path);
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"The CA file {path} is not a PEM certificate file: {e.Message}", e);
        }
        return cas.Count > 0 ? cas : throw new InvalidDataException($"The CA file {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
    }

    private static void MustExist(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The {what} {path} does not exist.", path);
        }
    }

    public void Dispose()
    {
        ClientCertificate?.Dispose();
        if (TrustedCas is not null)
        {
            foreach (X509Certificate2 ca in TrustedCas)
            {
                ca.Dispose();
            }
        }
    }
}
