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
/// <remarks>
/// A call that streams responses sees a cancellation token that also fires when one of its messages is refused (just
/// before the refusal is thrown into the handler) and once its handler has ended: work the handler started under that
/// token (a generation in the scheduler) stops when its events can no longer be sent, instead of running to its end
/// for nobody. The handler still ends with the RpcException of the refusal, so the status stays RESOURCE_EXHAUSTED.
/// </remarks>
internal sealed class SendLimitInterceptor(IOptions<AdaDiffOptions> options, ILogger<SendLimitInterceptor> logger) : Interceptor
{
    private readonly int max = options.Value.Limits.MaxSendMessageBytes;

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        TResponse response = await continuation(request, context);
        Check(response, context);
        return response;
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        ServerCallContext scoped = new HandlerScopedContext(context, ended.Token);
        try
        {
            await continuation(request, new LimitedWriter<TResponse>(responseStream, this, scoped, ended), scoped);
        }
        finally
        {
            await ended.CancelAsync();
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        TResponse response = await continuation(requestStream, context);
        Check(response, context);
        return response;
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        ServerCallContext scoped = new HandlerScopedContext(context, ended.Token);
        try
        {
            await continuation(requestStream, new LimitedWriter<TResponse>(responseStream, this, scoped, ended), scoped);
        }
        finally
        {
            await ended.CancelAsync();
        }
    }

    private void Check<T>(T message, ServerCallContext context, CancellationTokenSource? refused = null)
    {
        if (message is IMessage protobuf && protobuf.CalculateSize() is var size && size > max)
        {
            string reason = string.Create(CultureInfo.InvariantCulture,
                $"The response message would be {size} bytes, over this server's limit of {max} bytes (AdaDiff:Limits:MaxSendMessageBytes); ask for less in one call (fewer images, latents less often).");
            ServerLog.ResponseOverLimit(logger, context.Method, reason);
            // Now, while the handler's own cancellation sources are still linked to the token (DiffusionService
            // disposes its linked source as the exception leaves it).
            refused?.Cancel();
            throw new RpcException(new Status(StatusCode.ResourceExhausted, reason));
        }
    }

    /// <summary>
    /// The call's context with <see cref="ServerCallContext.CancellationToken"/> replaced; everything else is the call's
    /// own. The HttpContext goes into UserState under the key grpc-dotnet's GetHttpContext() reads for such contexts.
    /// </summary>
    private sealed class HandlerScopedContext : ServerCallContext
    {
        private readonly ServerCallContext inner;
        private readonly CancellationToken token;

        public HandlerScopedContext(ServerCallContext inner, CancellationToken token)
        {
            this.inner = inner;
            this.token = token;
            if (inner.UserState is { } state && !state.ContainsKey("__HttpContext"))
            {
                try
                {
                    state["__HttpContext"] = inner.GetHttpContext();
                }
                catch (InvalidOperationException)
                {
                    // a context without an HttpContext (not expected under ASP.NET Core)
                }
            }
        }

        protected override string MethodCore => inner.Method;

        protected override string HostCore => inner.Host;

        protected override string PeerCore => inner.Peer;

        protected override DateTime DeadlineCore => inner.Deadline;

        protected override Metadata RequestHeadersCore => inner.RequestHeaders;

        protected override CancellationToken CancellationTokenCore => token;

        protected override Metadata ResponseTrailersCore => inner.ResponseTrailers;

        protected override Status StatusCore
        {
            get => inner.Status;
            set => inner.Status = value;
        }

        protected override WriteOptions? WriteOptionsCore
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        protected override AuthContext AuthContextCore => inner.AuthContext;

        protected override IDictionary<object, object> UserStateCore => inner.UserState;

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => inner.CreatePropagationToken(options);

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => inner.WriteResponseHeadersAsync(responseHeaders);
    }

    /// <summary>Checks each message before the call's own writer sends it.</summary>
    private sealed class LimitedWriter<T>(IServerStreamWriter<T> inner, SendLimitInterceptor limit, ServerCallContext context, CancellationTokenSource refused) : IServerStreamWriter<T>
    {
        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public Task WriteAsync(T message)
        {
            limit.Check(message, context, refused);
            return inner.WriteAsync(message);
        }

        public Task WriteAsync(T message, CancellationToken cancellationToken)
        {
            limit.Check(message, context, refused);
            return inner.WriteAsync(message, cancellationToken);
        }
    }
}
