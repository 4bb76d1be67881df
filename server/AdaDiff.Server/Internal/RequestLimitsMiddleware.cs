using System.Globalization;
using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace AdaDiff.Server.Internal;

/// <summary>
/// The header limits (<see cref="LimitsOptions.MaxRequestHeadersBytes"/>, <see cref="LimitsOptions.MaxRequestHeaderCount"/>)
/// and, for HTTP requests, the body limit as far as Content-Length tells it, on both ports and before authentication.
/// Kestrel's own limits are set <see cref="LimitsOptions.KestrelFactor"/> times higher, so the requests between reach
/// this middleware and are refused on their own stream with a status the client can read: RESOURCE_EXHAUSTED for gRPC,
/// 431 or 413 with a JSON status for HTTP.
/// </summary>
internal sealed class RequestLimitsMiddleware(RequestDelegate next, IOptions<AdaDiffOptions> options, ILogger<RequestLimitsMiddleware> logger)
{
    private readonly LimitsOptions limits = options.Value.Limits;

    public Task InvokeAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        (long bytes, int count) = Measure(context);
        if (bytes > limits.MaxRequestHeadersBytes)
        {
            return RefuseAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, string.Create(CultureInfo.InvariantCulture,
                $"The request headers are {bytes} bytes, over this server's limit of {limits.MaxRequestHeadersBytes} bytes (AdaDiff:Limits:MaxRequestHeadersBytes)."));
        }
        if (count > limits.MaxRequestHeaderCount)
        {
            return RefuseAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, string.Create(CultureInfo.InvariantCulture,
                $"The request has {count} header fields, over this server's limit of {limits.MaxRequestHeaderCount} (AdaDiff:Limits:MaxRequestHeaderCount)."));
        }
        // gRPC bodies are framed messages, checked message by message in GrpcRequestValidationMiddleware.
        if (!RequestRejection.IsGrpc(request) && request.ContentLength > limits.MaxReceiveMessageBytes)
        {
            // Let Kestrel read the unwanted body to its end after the answer (within its drain timeout) instead of
            // closing the connection under a client still sending: an HTTP/1.1 client then reads the 413, not a reset.
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            {
                bodySize.MaxRequestBodySize = null;
            }
            return RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, string.Create(CultureInfo.InvariantCulture,
                $"The request body is {request.ContentLength} bytes, over this server's limit of {limits.MaxReceiveMessageBytes} bytes (AdaDiff:Limits:MaxReceiveMessageBytes)."));
        }
        return next(context);
    }

    /// <summary>
    /// Bytes: the name and value of every header field, the method, target and scheme counted as the HTTP/2
    /// pseudo-headers that carry them (<c>:method</c>, <c>:path</c>, <c>:scheme</c>), and Host as <c>:authority</c> over
    /// HTTP/2: for an HTTP/2 request exactly what Kestrel counts against its own limit (without RFC 9113's 32 bytes per
    /// field). Count: header fields besides the pseudo-headers (Host included), each value of a repeated one counted.
    /// </summary>
    internal static (long Bytes, int Count) Measure(HttpContext context)
    {
        HttpRequest request = context.Request;
        string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? string.Concat(request.PathBase.Value, request.Path.Value, request.QueryString.Value);
        long bytes = ":method".Length + request.Method.Length + ":path".Length + target.Length + ":scheme".Length + request.Scheme.Length;
        bool http2 = HttpProtocol.IsHttp2(request.Protocol) || HttpProtocol.IsHttp3(request.Protocol);
        int count = 0;
        foreach (KeyValuePair<string, StringValues> header in request.Headers)
        {
            int name = http2 && string.Equals(header.Key, "Host", StringComparison.OrdinalIgnoreCase) ? ":authority".Length : header.Key.Length;
            foreach (string? value in header.Value)
            {
                bytes += name + (value?.Length ?? 0);
                count++;
            }
        }
        return (bytes, count);
    }

    private Task RefuseAsync(HttpContext context, int httpStatus, string message)
    {
        string path = context.Request.Path.Value ?? "";
        ServerLog.RequestOverLimit(logger, path.Length <= 200 ? path : path[..200] + "…", message);
        return RequestRejection.WriteAsync(context, StatusCode.ResourceExhausted, httpStatus, message);
    }
}
