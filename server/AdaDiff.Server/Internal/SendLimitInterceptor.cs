using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;

namespace AdaDiff.Server.Internal;

/// <summary>
/// <see cref="LimitsOptions.MaxSendMessageBytes"/> for every call, gRPC and HTTP/JSON alike (JSON transcoding has no
/// send limit of its own): a response message whose protobuf size is over the limit is not sent and the call ends with
/// RESOURCE_EXHAUSTED naming the size and the limit (HTTP 429 over HTTP/JSON).
/// </summary>
internal sealed class SendLimitInterceptor(IOptions<AdaDiffOptions> options, ILogger<SendLimitInterceptor> logger) : Interceptor
{
    private readonly int _max = options.Value.Limits.MaxSendMessageBytes;

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        TResponse response = await continuation(request, context);
        Check(response, context);
        return response;
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        continuation(request, new LimitedWriter<TResponse>(responseStream, this, context), context);

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        TResponse response = await continuation(requestStream, context);
        Check(response, context);
        return response;
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        continuation(requestStream, new LimitedWriter<TResponse>(responseStream, this, context), context);

    private void Check<T>(T message, ServerCallContext context)
    {
        if (message is IMessage protobuf && protobuf.CalculateSize() is var size && size > _max)
        {
            string reason = string.Create(CultureInfo.InvariantCulture,
                $"The response message would be {size} bytes, over this server's limit of {_max} bytes (AdaDiff:Limits:MaxSendMessageBytes); ask for less in one call (fewer images, latents less often).");
            ServerLog.ResponseOverLimit(logger, context.Method, reason);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, reason));
        }
    }

    /// <summary>Checks each message before the call's own writer sends it.</summary>
    private sealed class LimitedWriter<T>(IServerStreamWriter<T> inner, SendLimitInterceptor limit, ServerCallContext context) : IServerStreamWriter<T>
    {
        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public Task WriteAsync(T message)
        {
            limit.Check(message, context);
            return inner.WriteAsync(message);
        }

        public Task WriteAsync(T message, CancellationToken cancellationToken)
        {
            limit.Check(message, context);
            return inner.WriteAsync(message, cancellationToken);
        }
    }
}
