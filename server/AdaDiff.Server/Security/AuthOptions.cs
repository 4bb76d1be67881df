namespace AdaDiff.Server.Security;

/// <summary>Bearer-token authentication (<c>AdaDiff:Auth</c>). Off unless <see cref="TokenFile"/> is set.</summary>
public sealed class AuthOptions
{
    /// <summary>
    /// File of accepted bearer tokens, one per line (blank lines and lines starting with '#' ignored), e.g. a
    /// mounted Kubernetes Secret. Empty (default): no authentication. Calls without a valid
    /// <c>authorization: Bearer &lt;token&gt;</c> get UNAUTHENTICATED (gRPC) or 401 (HTTP/JSON).
    /// </summary>
    public string? TokenFile { get; set; }

    /// <summary>Also require a token for <c>/healthz</c>, <c>/readyz</c> and grpc.health.v1. Default false (probes stay open).</summary>
    public bool ProtectHealth { get; set; }

    /// <summary>Also require a token for <c>/metrics</c> and server reflection. Default false (scrapes stay open).</summary>
    public bool ProtectMetrics { get; set; }
}
