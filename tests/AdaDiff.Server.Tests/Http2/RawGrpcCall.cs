using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace AdaDiff.Server.Tests.Http2;

/// <summary>
/// A gRPC call made by hand with <see cref="HttpClient"/> over h2c: the body is sent exactly as given (normally a
/// 5-byte prefix and a protobuf message, here whatever a test wants), and the answer is read as a gRPC client reads it:
/// grpc-status and grpc-message from the trailers, or from the headers of a trailers-only response.
/// </summary>
internal static class RawGrpcCall
{
    /// <summary>An HttpClient that speaks HTTP/2 without TLS (prior knowledge), as gRPC does.</summary>
    public static HttpClient CreateH2cClient(HttpMessageHandler? handler = null, bool disposeHandler = true) =>
        new(handler ?? new SocketsHttpHandler(), disposeHandler)
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(60),
        };

    /// <summary>A message with its gRPC prefix: flag 0, big-endian length.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message, byte flag = 0, uint? declaredLength = null)
    {
        byte[] framed = new byte[5 + message.Length];
        framed[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), declaredLength ?? (uint)message.Length);
        message.CopyTo(framed.AsSpan(5));
        return framed;
    }

    /// <summary>Sends <paramref name="body"/> to <paramref name="path"/> (e.g. <c>/adadiff.v1.DiffusionService/GetModel</c>) and reads the whole answer.</summary>
    public static async Task<Result> SendAsync(HttpClient client, Uri server, string path, byte[] body, IEnumerable<KeyValuePair<string, string>>? metadata = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach ((string name, string value) in metadata ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        byte[] responseBody = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        string? status = First(response.TrailingHeaders, "grpc-status") ?? First(response.Headers, "grpc-status");
        string? message = First(response.TrailingHeaders, "grpc-message") ?? First(response.Headers, "grpc-message");
        return new Result((int)response.StatusCode, int.TryParse(status, out int code) ? code : null,
            message is null ? null : Uri.UnescapeDataString(message), responseBody);
    }

    private static string? First(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out IEnumerable<string>? values) ? values.FirstOrDefault() : null;

    /// <summary>What came back: the HTTP status, grpc-status (null when none came) and grpc-message, and the body.</summary>
    internal sealed record Result(int HttpStatus, int? GrpcStatus, string? GrpcMessage, byte[] Body)
    {
        /// <summary>The complete gRPC messages of the body, prefixes stripped.</summary>
        public List<byte[]> Messages()
        {
            List<byte[]> messages = [];
            for (int at = 0; at + 5 <= Body.Length;)
            {
                int length = (int)BinaryPrimitives.ReadUInt32BigEndian(Body.AsSpan(at + 1));
                if (at + 5 + length > Body.Length)
                {
                    break;
                }
                messages.Add(Body.AsSpan(at + 5, length).ToArray());
                at += 5 + length;
            }
            return messages;
        }

        public override string ToString() => $"HTTP {HttpStatus}, grpc-status {GrpcStatus?.ToString(CultureInfo.InvariantCulture) ?? "none"} '{GrpcMessage}', {Body.Length} body bytes";
    }
}
