using AdaDiff.Server.Models;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AdaDiff.Server.Internal;

/// <summary>Readiness: healthy once every model is loaded, unhealthy again from the start of the drain.</summary>
internal sealed class ModelsReadyHealthCheck(ModelRegistry registry, ServerDrain drain) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            drain.IsDraining ? HealthCheckResult.Unhealthy("Draining: the server is stopping")
            : registry.IsReady && registry.Unavailable.Count > 0 ? HealthCheckResult.Degraded(
                $"{registry.Models.Count} models serve; unavailable: {string.Join("; ", registry.Unavailable.Select(u => $"{u.Name} ({u.Reason})"))}")
            : registry.IsReady ? HealthCheckResult.Healthy($"{registry.Models.Count} models loaded")
            : registry.LoadError is { } error ? HealthCheckResult.Unhealthy("Loading the models failed", error)
            : HealthCheckResult.Unhealthy("Loading the models"));
}
