using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;

namespace AdaDiff.Client.Internal;

/// <summary>Builds the gRPC channel an <see cref="AdaDiffClient"/> uses from its options.</summary>
internal static class ChannelFactory
{
    /// <summary>Codes worth another attempt: the server is down or restarting, or its queue is full.</summary>
    public static readonly StatusCode[] RetryableCodes = [StatusCode.Unavailable, StatusCode.ResourceExhausted];

    public static GrpcChannel Create(AdaDiffClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxAttempts is < 1 or > 5)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxAttempts, "MaxAttempts must be 1..5.");
        }
        var channelOptions = new GrpcChannelOptions
        {
            ServiceConfig = CreateServiceConfig(options),
            // Streams of previews of many images can exceed the 4 MB default.
            MaxReceiveMessageSize = 64 * 1024 * 1024,
            HttpHandler = new SocketsHttpHandler
            {
                // Keep HTTP/2 connections alive across idle periods and spread streams over several when one is full.
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
                EnableMultipleHttp2Connections = true,
            },
            DisposeHttpClient = true,
        };
        if (options.Address.Scheme is not ("http" or "https"))
        {
            // Resolver schemes (dns:///) need the transport security stated; http:// says it in the address.
            channelOptions.Credentials = ChannelCredentials.Insecure;
            channelOptions.ServiceProvider = new ResolverServiceProvider(new DnsResolverFactory(options.DnsRefreshInterval));
        }
        return GrpcChannel.ForAddress(options.Address, channelOptions);
    }

    public static ServiceConfig CreateServiceConfig(AdaDiffClientOptions options)
    {
        var config = new ServiceConfig();
        if (options.RoundRobin)
        {
            config.LoadBalancingConfigs.Add(new RoundRobinConfig());
        }
        if (options.MaxAttempts > 1)
        {
            var retry = new RetryPolicy
            {
                MaxAttempts = options.MaxAttempts,
                InitialBackoff = options.InitialBackoff,
                MaxBackoff = options.MaxBackoff,
                BackoffMultiplier = 2,
            };
            foreach (StatusCode code in RetryableCodes)
            {
                retry.RetryableStatusCodes.Add(code);
            }
            config.MethodConfigs.Add(new MethodConfig { Names = { MethodName.Default }, RetryPolicy = retry });
        }
        return config;
    }

    /// <summary>Hands the channel its DNS resolver factory (the only service it asks for that we set).</summary>
    private sealed class ResolverServiceProvider(ResolverFactory dns) : IServiceProvider
    {
        private readonly ResolverFactory[] _all = [dns];

        // The channel asks for every registered factory (IEnumerable) and, in some versions, for one.
        public object? GetService(Type serviceType) =>
            serviceType == typeof(IEnumerable<ResolverFactory>) ? _all
            : serviceType == typeof(ResolverFactory) ? dns
            : null;
    }
}
