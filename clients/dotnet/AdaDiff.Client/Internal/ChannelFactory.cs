using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;

namespace AdaDiff.Client.Internal;

/// <summary>Builds the gRPC channel an <see cref="AdaDiffClient"/> uses from its options.</summary>
internal static class ChannelFactory
{
    /// <summary>Codes worth another attempt: the server is down or restarting, or its queue is full.</summary>
    public static readonly StatusCode[] RetryableCodes = [StatusCode.Unavailable, StatusCode.ResourceExhausted];

    /// <summary>
    /// The channel: TLS with <paramref name="credentials"/>' trusted CAs and client certificate when secure; the
    /// bearer token as call credentials over TLS. Over plaintext the token goes as metadata (<see cref="WithToken"/>):
    /// grpc-dotnet drops call credentials on an insecure channel unless UnsafeUseInsecureChannelCallCredentials is
    /// set, which would apply to every call credential of the channel; the interceptor states exactly what is sent.
    /// </summary>
    public static GrpcChannel Create(AdaDiffClientOptions options, ClientCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credentials);
        if (options.MaxAttempts is < 1 or > 5)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxAttempts, "MaxAttempts must be 1..5.");
        }
        var handler = new SocketsHttpHandler
        {
            // Keep HTTP/2 connections alive across idle periods and spread streams over several when one is full.
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            EnableMultipleHttp2Connections = true,
        };
        if (credentials.Secure)
        {
            handler.SslOptions = CreateSslOptions(credentials);
        }
        var channelOptions = new GrpcChannelOptions
        {
            ServiceConfig = CreateServiceConfig(options),
            // Streams of previews of many images can exceed the 4 MB default.
            MaxReceiveMessageSize = 64 * 1024 * 1024,
            HttpHandler = handler,
            DisposeHttpClient = true,
        };
        if (credentials.Secure)
        {
            // Also what makes a dns:/// channel connect with https; an https:// address says it itself.
            channelOptions.Credentials = credentials.Token is null
                ? ChannelCredentials.SecureSsl
                : ChannelCredentials.Create(ChannelCredentials.SecureSsl, BearerCallCredentials(credentials.Token));
        }
        else if (options.Address.Scheme is not ("http" or "https"))
        {
            // Resolver schemes (dns:///) need the transport security stated; http:// says it in the address.
            channelOptions.Credentials = ChannelCredentials.Insecure;
        }
        if (options.Address.Scheme is not ("http" or "https"))
        {
            channelOptions.ServiceProvider = new ResolverServiceProvider(new DnsResolverFactory(options.DnsRefreshInterval));
        }
        return GrpcChannel.ForAddress(options.Address, channelOptions);
    }

    /// <summary>
    /// The invoker the generated clients call through: the channel's own, or over plaintext with a token one that adds
    /// <c>authorization: Bearer &lt;token&gt;</c> to every call that does not carry an authorization header already.
    /// </summary>
    public static CallInvoker WithToken(GrpcChannel channel, ClientCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(credentials);
        if (credentials.Secure || credentials.Token is null)
        {
            return channel.CreateCallInvoker();
        }
        string value = "Bearer " + credentials.Token;
        return channel.Intercept(metadata =>
        {
            if (metadata.Get(AuthorizationHeader) is null)
            {
                metadata.Add(AuthorizationHeader, value);
            }
            return metadata;
        });
    }

    private const string AuthorizationHeader = "authorization";

    private static CallCredentials BearerCallCredentials(string token)
    {
        string value = "Bearer " + token;
        return CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add(AuthorizationHeader, value);
            return Task.CompletedTask;
        });
    }

    /// <summary>Trust exactly the given CAs (when any) with the usual name check; present the client certificate (when any).</summary>
    private static SslClientAuthenticationOptions CreateSslOptions(ClientCredentials credentials)
    {
        var ssl = new SslClientAuthenticationOptions();
        if (credentials.TrustedCas is not null)
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck, // a private CA publishes no revocation list
            };
            policy.CustomTrustStore.AddRange(credentials.TrustedCas);
            ssl.CertificateChainPolicy = policy;
        }
        if (credentials.ClientCertificate is not null)
        {
            ssl.ClientCertificates = [credentials.ClientCertificate];
        }
        return ssl;
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
        private readonly ResolverFactory[] all = [dns];

        // The channel asks for every registered factory (IEnumerable) and, in some versions, for one.
        public object? GetService(Type serviceType) =>
            serviceType == typeof(IEnumerable<ResolverFactory>) ? all
            : serviceType == typeof(ResolverFactory) ? dns
            : null;
    }
}
