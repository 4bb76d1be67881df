namespace AdaDiff.Client;

/// <summary>
/// How an <see cref="AdaDiffClient"/> reaches the server: address, retries, load balancing and default deadline.
/// </summary>
public sealed class AdaDiffClientOptions
{
    /// <summary>
    /// Server address. <c>http://host:port</c> connects to one server; <c>dns:///host:port</c> resolves every
    /// address of a name (a headless Kubernetes service) and, with <see cref="RoundRobin"/>, spreads calls over them.
    /// Default <c>http://127.0.0.1:50051</c>.
    /// </summary>
    public Uri Address { get; set; } = new("http://127.0.0.1:50051");

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
