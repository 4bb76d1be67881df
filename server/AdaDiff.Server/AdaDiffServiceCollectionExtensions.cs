using System.Net;
using AdaDiff.Server;
using AdaDiff.Server.Backends;
using AdaDiff.Server.Internal;
using AdaDiff.Server.Metrics;
using AdaDiff.Server.Models;
using AdaDiff.Server.Security;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the AdaDiff server.</summary>
public static class AdaDiffServiceCollectionExtensions
{
    /// <summary>Health-check tag of checks that say the process is alive (/healthz).</summary>
    public const string LiveTag = "live";

    /// <summary>Health-check tag of checks that say the server can serve (/readyz and grpc.health.v1 for the service).</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Adds the AdaDiff server: options bound from <paramref name="configuration"/>'s <c>AdaDiff</c> section and
    /// validated at start, Kestrel's two ports, gRPC with health and reflection, the model registry, health checks
    /// and the OpenTelemetry meter with its Prometheus exporter.
    /// </summary>
    public static IServiceCollection AddAdaDiff(this IServiceCollection services, IConfiguration configuration, Action<AdaDiffOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        OptionsBuilder<AdaDiffOptions> options = services.AddOptions<AdaDiffOptions>().Bind(configuration.GetSection(AdaDiffOptions.SectionName));
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<AdaDiffOptions>, AdaDiffOptionsSetup>();
        services.AddSingleton<IValidateOptions<AdaDiffOptions>, AdaDiffOptionsValidator>();

        // Kestrel: gRPC on HTTP/2 only (without TLS, Http1AndHttp2 would silently serve HTTP/1.1), metrics and health on HTTP/1.1.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<AdaDiffOptions>>((kestrel, adadiff) =>
        {
            AdaDiffOptions o = adadiff.Value;
            IPAddress address = IPAddress.Parse(o.BindAddress);
            ApplyLimits(kestrel.Limits, o.Limits);
            kestrel.Limits.Http2.MaxStreamsPerConnection = o.MaxStreamsPerConnection;
            kestrel.Listen(address, o.GrpcPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                TlsSetup.Apply(listen, o.Tls);
            });
            kestrel.Listen(address, o.HttpPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                TlsSetup.Apply(listen, o.Tls);
            });
        });

        // JSON transcoding: the google.api.http routes of the contract (GET /v1/models, POST /v1/generate…) for
        // curl users; served on both ports, so plain HTTP/1.1 clients use the HTTP port.
        // The type registry lets error details (google.rpc.Status in the JSON body) be written as JSON.
        services.AddGrpc().AddJsonTranscoding(o => o.TypeRegistry = Google.Protobuf.Reflection.TypeRegistry.FromMessages(
            Google.Rpc.BadRequest.Descriptor, Google.Rpc.RetryInfo.Descriptor, Google.Rpc.ResourceInfo.Descriptor,
            Google.Rpc.ErrorInfo.Descriptor, Google.Rpc.QuotaFailure.Descriptor));
        services.AddOptions<GrpcServiceOptions>().Configure<IOptions<AdaDiffOptions>>((grpc, adadiff) =>
        {
            grpc.EnableDetailedErrors = adadiff.Value.EnableDetailedErrors;
            // GrpcRequestValidationMiddleware answers oversized requests first, with the limit in the message; these
            // are the library's own checks behind it. The interceptor applies the send limit to HTTP/JSON too.
            grpc.MaxReceiveMessageSize = adadiff.Value.Limits.MaxReceiveMessageBytes;
            grpc.MaxSendMessageSize = adadiff.Value.Limits.MaxSendMessageBytes;
            grpc.Interceptors.Add<SendLimitInterceptor>();
        });
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks(o =>
        {
            // "" (what a Kubernetes gRPC liveness probe asks by default) is the process alone: a draining or
            // loading server is alive, and restarting it would cut the streams the drain lets finish.
            o.Services.Map("", r => r.Tags.Contains(LiveTag));
            o.Services.Map(AdaDiff.Grpc.V1.DiffusionService.Descriptor.FullName, r => r.Tags.Contains(ReadyTag));
        })
            .AddCheck("process", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy(), [LiveTag])
            .AddCheck<ModelsReadyHealthCheck>("models", tags: [ReadyTag]);

        // The backends compiled in (build property AdaDiffBackends), one extension method each.
#if ADADIFF_ONNXRUNTIME
        services.AddOnnxRuntimeBackend();
#endif
#if ADADIFF_TORCHSHARP
        services.AddTorchSharpBackend();
#endif
        services.AddSingleton<ModelBackends>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Routing.MatcherPolicy, ListenPortMatcherPolicy>());
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton(sp => new AdaDiffMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<ModelCatalog>().MaxDepth));
        services.AddSingleton<ModelRegistry>();
        services.AddHostedService<ModelLoaderService>();
        // The drain runs in the host's Stopping phase, before any hosted service (Kestrel included) stops.
        services.AddSingleton<ServerDrain>();
        services.AddHostedService<DrainService>();
        services.AddOptions<HostOptions>().Configure<IOptions<AdaDiffOptions>>((host, adadiff) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(adadiff.Value.DrainTimeoutSeconds) + DrainService.EndTimeout + TimeSpan.FromSeconds(5));

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("adadiff-server"))
            .WithMetrics(metrics => metrics
            .AddMeter(AdaDiffMetrics.MeterName)
            // .NET runtime metrics (GC heap, working set, thread pool, exceptions): what a soak watches for growth.
            .AddMeter("System.Runtime")
            // Scrapes must see every update at once (the system test compares two scrapes around one call).
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    /// <summary>
    /// Kestrel's limits, on both ports. Kestrel answers a request over its header limits with a bare 431 (which a gRPC
    /// client reads as UNKNOWN or INTERNAL, not as a status) and, past twice them on HTTP/2, ends the whole connection
    /// with GOAWAY. So its limits are set <see cref="LimitsOptions.KestrelFactor"/> times above the server's, and
    /// <see cref="RequestLimitsMiddleware"/> answers everything in between on its own stream, with RESOURCE_EXHAUSTED
    /// or a JSON 431. HTTP/JSON bodies are limited by Kestrel; gRPC bodies by <see cref="GrpcRequestValidationMiddleware"/>.
    /// </summary>
    internal static void ApplyLimits(KestrelServerLimits kestrel, LimitsOptions limits)
    {
        kestrel.MaxRequestHeadersTotalSize = limits.KestrelHeadersBytes;
        kestrel.MaxRequestHeaderCount = limits.KestrelHeaderCount;
        kestrel.Http2.MaxRequestHeaderFieldSize = limits.KestrelHeaderFieldBytes;
        kestrel.MaxRequestBodySize = limits.MaxReceiveMessageBytes;
    }
}
