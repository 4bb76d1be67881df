using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;

namespace AdaDiff.Server.Internal;

/// <summary>Endpoint metadata: the endpoint answers only requests that arrived on this local port.</summary>
/// <param name="Port">The listening port (Kestrel's, inside the container: what a port mapping forwards to).</param>
internal sealed record ListenPortMetadata(int Port);

/// <summary>
/// Drops candidate endpoints whose <see cref="ListenPortMetadata"/> names another port than the one the connection
/// arrived on. Unlike <c>RequireHost</c>, which matches the port written in the <c>Host</c> header, this holds behind
/// any port mapping (a container's <c>-p 59464:9464</c>, a Kubernetes Service port, <c>kubectl port-forward</c>),
/// and a client cannot reach an endpoint on the other port by writing that port into its <c>Host</c> header.
/// </summary>
internal sealed class ListenPortMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    // Before the host policy (-100), like other policies that filter on the connection.
    public override int Order => -1000;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        foreach (Endpoint endpoint in endpoints)
        {
            if (endpoint.Metadata.GetMetadata<ListenPortMetadata>() is not null)
            {
                return true;
            }
        }
        return false;
    }

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(candidates);
        int localPort = httpContext.Connection.LocalPort;
        for (int i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i) && candidates[i].Endpoint.Metadata.GetMetadata<ListenPortMetadata>() is { } port && port.Port != localPort)
            {
                candidates.SetValidity(i, false);
            }
        }
        return Task.CompletedTask;
    }
}
