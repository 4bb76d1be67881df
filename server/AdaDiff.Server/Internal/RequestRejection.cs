using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;

namespace AdaDiff.Server.Internal;

/// <summary>
/// Answers a request the server refuses before any service sees it: a gRPC call gets a trailers-only response (HTTP 200,
/// <c>grpc-status</c> and <c>grpc-message</c>, no body) on its own stream; an HTTP request gets the HTTP status with the
/// google.rpc.Status JSON body that HTTP/JSON errors have everywhere else.
/// </summary>
internal static class RequestRejection
{
    /// <summary>True for a gRPC call (content type <c>application/grpc</c>, <c>application/grpc+proto</c>, …).</summary>
    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Writes the refusal: <paramref name="code"/> for gRPC, <paramref name="httpStatus"/> with the JSON status for HTTP.</summary>
    public static Task WriteAsync(HttpContext context, StatusCode code, int httpStatus, string message)
    {
        HttpResponse response = context.Response;
        if (response.HasStarted)
        {
            // Not expected: every caller refuses before anything was written. Reset the stream rather than corrupt it.
            context.Abort();
            return Task.CompletedTask;
        }
        response.Headers.Clear();
        if (IsGrpc(context.Request))
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = ((int)code).ToString(CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = PercentEncode(message);
            return Task.CompletedTask;
        }
        response.StatusCode = httpStatus;
        response.ContentType = "application/json; charset=utf-8";
        // The shape JSON transcoding gives every other HTTP/JSON error (google.rpc.Status).
        var json = new JsonObject { ["code"] = (int)code, ["message"] = message, ["details"] = new JsonArray() };
        return response.WriteAsync(json.ToJsonString(JsonErrorMessageMiddleware.JsonOptions), Encoding.UTF8);
    }

    /// <summary>grpc-message encoding (gRPC over HTTP/2): UTF-8, with '%' and bytes outside 0x20..0x7E percent-encoded.</summary>
    internal static string PercentEncode(string message)
    {
        var encoded = new StringBuilder(message.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7e && b != (byte)'%')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return encoded.ToString();
    }
}
