namespace AdaDiff.Server;

/// <summary>
/// Size limits of requests and responses (<c>AdaDiff:Limits</c>), the same on both ports and for gRPC and HTTP/JSON.
/// A request over a limit gets an error on its own stream (gRPC RESOURCE_EXHAUSTED; HTTP 431 or 413) and every other
/// stream of its HTTP/2 connection carries on. docs/operations.md ("Limits") has the table and the thresholds above
/// which Kestrel can only end the whole connection.
/// </summary>
public sealed class LimitsOptions
{
    /// <summary>
    /// How much larger than <see cref="MaxRequestHeadersBytes"/> and <see cref="MaxRequestHeaderCount"/> Kestrel's own
    /// limits are set: requests between the two reach the server, which answers them on their own stream with a gRPC
    /// status (Kestrel answers its own overruns with a bare HTTP 431, which gRPC clients cannot read as a status).
    /// </summary>
    public const int KestrelFactor = 4;

    /// <summary>
    /// Kestrel's HTTP/2 grace: a header block up to twice its limits gets a 431 on its stream, a larger one a GOAWAY
    /// that ends the connection (measured on Kestrel 10; see docs/operations.md).
    /// </summary>
    public const int KestrelConnectionErrorFactor = 2;

    /// <summary>
    /// Most bytes of request headers, 1024..1048576: the name and value of every header field, the method, target and
    /// scheme counted as the pseudo-headers that carry them and, over HTTP/2, Host as <c>:authority</c>, which is how
    /// Kestrel's HTTP/2 counts a header block (without RFC 9113's 32 bytes per field). Default 32768 (32 KiB), far above
    /// what a call carries (a bearer token and tracing headers are a few KiB). Over it: RESOURCE_EXHAUSTED (gRPC) or
    /// 431 (HTTP). Kestrel's own limit is set to 4 times this; past 8 times it ends the HTTP/2 connection.
    /// </summary>
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;

    /// <summary>
    /// Most request header fields, 16..10000, not counting HTTP/2 pseudo-headers (Host counts), each value of a repeated
    /// field counted. Default 100 (Kestrel's own default). Over it: RESOURCE_EXHAUSTED (gRPC) or 431 (HTTP). Kestrel's
    /// own limit is set to 4 times this (it counts the pseudo-headers); past 8 times it ends the HTTP/2 connection.
    /// </summary>
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>
    /// Most bytes of one request message, 1024..1073741824: a gRPC message (before decompression and after it) and an
    /// HTTP/JSON request body alike. Default 4194304 (4 MiB, gRPC's customary limit). Over it: RESOURCE_EXHAUSTED (gRPC);
    /// 413 for an HTTP body whose Content-Length says so, 400 naming the limit for a chunked one that runs over.
    /// </summary>
    public int MaxReceiveMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Most bytes of one response message (its protobuf size, for gRPC and HTTP/JSON alike), 1024..1073741824. Default
    /// 16777216 (16 MiB). A call whose next message would be larger ends with RESOURCE_EXHAUSTED (HTTP 429) instead.
    /// Clients have their own receive limit (4 MiB by default in most gRPC libraries).
    /// </summary>
    public int MaxSendMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Kestrel's MaxRequestHeadersTotalSize (also advertised as SETTINGS_MAX_HEADER_LIST_SIZE).</summary>
    internal int KestrelHeadersBytes => MaxRequestHeadersBytes * KestrelFactor;

    /// <summary>Kestrel's MaxRequestHeaderCount.</summary>
    internal int KestrelHeaderCount => MaxRequestHeaderCount * KestrelFactor;

    /// <summary>
    /// Kestrel's HTTP/2 MaxRequestHeaderFieldSize (HPACK): one field larger than the connection-error threshold of the
    /// total, so that a single oversized field and many smaller ones end the connection at the same size.
    /// </summary>
    internal int KestrelHeaderFieldBytes => KestrelHeadersBytes * KestrelConnectionErrorFactor;
}
