using AdaDiff.Client.Internal;
using Grpc.Core;
using Grpc.Net.Client.Configuration;

namespace AdaDiff.Client.Tests;

public sealed class ChannelTests
{
    [Fact]
    public void ServiceConfig_Defaults_RetryUnavailableAndResourceExhaustedOnly()
    {
        ServiceConfig config = ChannelFactory.CreateServiceConfig(new AdaDiffClientOptions());
        RetryPolicy retry = Assert.Single(config.MethodConfigs).RetryPolicy!;
        Assert.Equal(5, retry.MaxAttempts);
        Assert.Equal([StatusCode.Unavailable, StatusCode.ResourceExhausted], retry.RetryableStatusCodes);
        Assert.DoesNotContain(StatusCode.InvalidArgument, retry.RetryableStatusCodes);
        Assert.DoesNotContain(StatusCode.Unauthenticated, retry.RetryableStatusCodes); // the same token would be refused again
        Assert.False(RpcErrors.IsRetryable(StatusCode.Unauthenticated));
        Assert.Empty(config.LoadBalancingConfigs);
        Assert.False(RpcErrors.IsRetryable(StatusCode.InvalidArgument));
        Assert.True(RpcErrors.IsRetryable(StatusCode.ResourceExhausted));
    }

    [Fact]
    public void ServiceConfig_HeadlessService_RoundRobinOverDns()
    {
        AdaDiffClientOptions options = AdaDiffClientOptions.ForHeadlessService("adadiff-headless.ml.svc.cluster.local");
        Assert.Equal("dns:///adadiff-headless.ml.svc.cluster.local:50051", options.Address.ToString());
        ServiceConfig config = ChannelFactory.CreateServiceConfig(options);
        Assert.IsType<RoundRobinConfig>(Assert.Single(config.LoadBalancingConfigs));
    }

    [Fact]
    public void ServiceConfig_OneAttempt_NoRetryPolicy() =>
        Assert.Empty(ChannelFactory.CreateServiceConfig(new AdaDiffClientOptions { MaxAttempts = 1 }).MethodConfigs);

    [Fact]
    public void Create_SixAttempts_Throws()
    {
        var options = new AdaDiffClientOptions { MaxAttempts = 6 };
        using ClientCredentials credentials = ClientCredentials.Load(options);
        Assert.Throws<ArgumentOutOfRangeException>(() => ChannelFactory.Create(options, credentials));
    }
}
