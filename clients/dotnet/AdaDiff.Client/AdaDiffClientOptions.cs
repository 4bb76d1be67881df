namespace AdaDiff.Client;

/// <summary>
/// How an <see cref="AdaDiffClient"/> reaches the server: address, credentials (bearer token, TLS, client
/// certificate), retries, load balancing and default deadline.
/// </summary>
public sealed class AdaDiffClientOptions
{
    /// <summary>
    /// Server address. <c>http://host:port</c> connects to one server, <c>https://host:port</c> to one over TLS;
    /// <c>dns:///host:port</c> resolves every address of a name (a headless Kubernetes service) and, with
    /// <see cref="RoundRobin"/>, spreads calls over them (plaintext, or TLS with <see cref="UseTls"/>).
    /// Default <c>http://127.0.0.1:50051</c>.
    /// </summary>
    public Uri Address { get; set; } = new("http://127.0.0.1:50051");

    /// <summary>
    /// Bearer token sent as <c>authorization: Bearer &lt;token&gt;</c> on every call (a server started with
    /// <c>--AdaDiff:Auth:TokenFile</c> refuses calls without one with UNAUTHENTICATED, which is never retried).
    /// Over TLS it is sent as gRPC call credentials; over plaintext as call metadata, readable by anyone on the
    /// network path, so use plaintext only on a trusted one. Set this or <see cref="TokenFile"/>, not both.
    /// Default null (no token).
    /// </summary>
    public string? Token { get; set; }

    /// <summary>
    /// File holding the bearer token (as <see cref="Token"/>), e.g. a mounted Kubernetes Secret: read once when the
    /// client is created, surrounding whitespace trimmed; blank lines and lines starting with <c>#</c> are skipped, so
    /// a server token file holding one token works too. A missing file, or one without a token (or with several),
    /// throws from the <see cref="AdaDiffClient"/> constructor, before any call. Default null.
    /// </summary>
    public string? TokenFile { get; set; }

    /// <summary>
    /// TLS with a <c>dns:///</c> address (an <c>https://</c> address selects TLS by itself; an <c>http://</c> one
    /// cannot have it). Default false.
    /// </summary>
    public bool UseTls { get; set; }

    /// <summary>
    /// PEM file of the CA certificate(s) to trust for the server's certificate over TLS, in place of the system's
    /// roots: a private CA, or a self-signed server certificate itself. The server's name (or IP address) must still
    /// match its certificate. Needs TLS (an <c>https://</c> address or <see cref="UseTls"/>). Default null (the
    /// system's trusted roots).
    /// </summary>
    public string? CaFile { get; set; }

    /// <summary>
    /// PEM client certificate (chain) presented for mutual TLS (a server started with <c>--AdaDiff:Tls:ClientCaFile</c>
    /// requires one), with its unencrypted private key in <see cref="ClientKeyFile"/>. Needs TLS. Default null.
    /// </summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>Unencrypted PEM private key (PKCS#8, RSA or EC) of <see cref="ClientCertificateFile"/>. Default null.</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>
    /// Attempts of one call, 1..5 (gRPC caps retries at 5), counting the first. Calls are retried only on
    /// UNAVAILABLE and RESOURCE_EXHAUSTED and only before the server sent anything back; never on
    /// INVALID_ARGUMENT or other codes. 1 turns retries off. Default 5.
    /// </summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Upper bound of the first retry's random backoff; later bounds grow by 2× per attempt. Default 0.5 s.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Largest backoff between two attempts. Default 5 s.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Balance calls round-robin over every address the name resolves to (client-side load balancing). Use it with a
    /// <c>dns:///</c> address of a headless service; with <c>http://</c> there is one address. Default false (pick first).
    /// </summary>
    public bool RoundRobin { get; set; }

    /// <summary>How often a <c>dns:///</c> name is resolved again, so new pods join the rotation. Default 30 s.</summary>
    public TimeSpan DnsRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Deadline of a call that names none; null for none. Default 10 minutes.</summary>
    public TimeSpan? DefaultTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Options for a headless Kubernetes service: <c>dns:///{host}:{port}</c> with round-robin balancing, e.g.
    /// <c>ForHeadlessService("adadiff-headless.default.svc.cluster.local")</c>.
    /// </summary>
    public static AdaDiffClientOptions ForHeadlessService(string host, int port = 50051) => new()
    {
        Address = new Uri($"dns:///{host}:{port}"),
        RoundRobin = true,
    };
}
