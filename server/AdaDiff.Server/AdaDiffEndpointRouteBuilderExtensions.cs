using AdaDiff.Server;
using AdaDiff.Server.Internal;
using AdaDiff.Server.Security;
using AdaDiff.Server.Services;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the AdaDiff server's endpoints.</summary>
public static class AdaDiffEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the gRPC services (DiffusionService, grpc.health.v1.Health, reflection) and, on the HTTP port only,
    /// <c>/metrics</c> (Prometheus), <c>/healthz</c> (liveness) and <c>/readyz</c> (models loaded).
    /// </summary>
    public static IEndpointRouteBuilder MapAdaDiff(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        AdaDiffOptions options = endpoints.ServiceProvider.GetRequiredService<IOptions<AdaDiffOptions>>().Value;
        // Bound to the port the request arrived on, not the Host header's port (see ListenPortMatcherPolicy).
        var httpPort = new ListenPortMetadata(options.HttpPort);

        // Middleware, so that gRPC, HTTP/JSON and the HTTP endpoints are treated alike on both ports (WebApplication
        // is both the endpoint builder and the pipeline; routing has run, so the endpoint is known):
        // the header limits and the HTTP body limit (before authentication: they cost nothing to check), bearer
        // tokens when AdaDiff:Auth:TokenFile is set, then the request message of unary and server-streaming gRPC calls,
        // and last the messages of HTTP/JSON errors, which must not carry .NET type names.
        if (endpoints is IApplicationBuilder app)
        {
            app.UseMiddleware<RequestLimitsMiddleware>();
            app.UseMiddleware<BearerTokenMiddleware>();
            app.UseMiddleware<GrpcRequestValidationMiddleware>();
            app.UseMiddleware<JsonErrorMessageMiddleware>();
        }

        endpoints.MapGrpcService<DiffusionService>();
        endpoints.MapGrpcHealthChecksService();
        endpoints.MapGrpcReflectionService();

        endpoints.MapPrometheusScrapingEndpoint().WithMetadata(httpPort);
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(AdaDiffServiceCollectionExtensions.LiveTag) })
            .WithMetadata(httpPort);
        // /readyz says why: "Healthy: 2 models loaded", "Degraded: 1 models serve; unavailable: …" (still 200), "Unhealthy: …" (503).
        endpoints.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(AdaDiffServiceCollectionExtensions.ReadyTag), ResponseWriter = WriteReport })
            .WithMetadata(httpPort);
        return endpoints;
    }

    private static Task WriteReport(HttpContext context, Microsoft.Extensions.Diagnostics.HealthChecks.HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var text = new System.Text.StringBuilder(report.Status.ToString());
        foreach ((string _, Microsoft.Extensions.Diagnostics.HealthChecks.HealthReportEntry entry) in report.Entries)
        {
            if (!string.IsNullOrEmpty(entry.Description))
            {
                text.Append(": ").Append(entry.Description);
            }
        }
        return context.Response.WriteAsync(text.Append('\n').ToString());
    }
}
