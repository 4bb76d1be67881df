using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Reflection;
using Google.Protobuf;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Net.Compression;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace AdaDiff.Server.Internal;

/// <summary>
/// Checks the request message of every unary and server-streaming gRPC call before grpc-dotnet reads it, and answers a
/// bad one on its own stream: INVALID_ARGUMENT for a body that is not exactly one well-formed message of the method's
/// request type (empty, truncated, more than one message, a compressed flag other than 0 or 1, compression that does
/// not decompress, protobuf that does not parse: random bytes, bad tags, lengths past the end, nesting past the
/// protobuf recursion limit), RESOURCE_EXHAUSTED for a message over <see cref="LimitsOptions.MaxReceiveMessageBytes"/>
/// (as declared in its prefix, or once decompressed). The messages name the protobuf type, never a .NET type or stack.
/// Calls that stream requests (server reflection) get the same checks message by message, as grpc-dotnet reads them.
/// </summary>
/// <remarks>
/// Without it, grpc-dotnet deserializes the message inside its call handler, before interceptors run, and turns a
/// parse failure into UNKNOWN "Exception was thrown by handler." and framing errors into INTERNAL. A custom marshaller
/// could map only the parse failures, and only of the services it is bound to; this covers framing as well, for every
/// service (DiffusionService, grpc.health.v1). The message is read once here (as grpc-dotnet would, without waiting
/// for more than the one frame it declares) and handed on in memory. For a call that streams requests the body is
/// wrapped instead: each frame is checked as it is read, and a bad one fails the read with the RpcException that
/// becomes the call's status. HTTP/JSON needs none of this: JSON transcoding already answers malformed JSON with
/// INVALID_ARGUMENT (400).
/// </remarks>
internal sealed class GrpcRequestValidationMiddleware(RequestDelegate next, IOptions<AdaDiffOptions> options, ILogger<GrpcRequestValidationMiddleware> logger)
{
    private const int PrefixLength = 5;
    private static readonly ICompressionProvider[] Decompressors = [new GzipCompressionProvider(System.IO.Compression.CompressionLevel.Fastest), new DeflateCompressionProvider(System.IO.Compression.CompressionLevel.Fastest)];
    private readonly ConcurrentDictionary<IMethod, RequestType?> requestTypes = new();
    private readonly int maxMessage = options.Value.Limits.MaxReceiveMessageBytes;
    private readonly ILogger logger = logger;

    public async Task InvokeAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        if (!RequestRejection.IsGrpc(request)
            || !(HttpProtocol.IsHttp2(request.Protocol) || HttpProtocol.IsHttp3(request.Protocol))
            || context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is not { } grpc
            || !string.Equals(request.Path.Value, grpc.Method.FullName, StringComparison.Ordinal) // "/service/method": not a JSON route
            || requestTypes.GetOrAdd(grpc.Method, RequestTypeOf) is not { } requestType)
        {
            await next(context);
            return;
        }
        string method = grpc.Method.FullName.TrimStart('/');
        string encoding = request.Headers["grpc-encoding"].ToString();
        if (grpc.Method.Type is MethodType.ClientStreaming or MethodType.DuplexStreaming)
        {
            request.Body = new CheckedMessageStream(request.Body, this, requestType, encoding, method);
            await next(context);
            return;
        }

        // The message is bounded here, by the length its prefix declares; Kestrel's body limit is the one of an
        // HTTP/JSON body, which a gRPC frame (5 bytes more) at the limit would trip.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = null;
        }
        (byte[]? frame, StatusCode code, string? problem) result;
        try
        {
            result = await ReadFrameAsync(request.BodyReader, method, context.RequestAborted);
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            return; // the caller went away; there is nobody to answer
        }
        catch (Exception e) when (e is IOException or Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            result = (null, StatusCode.InvalidArgument, "The request body could not be read to its end.");
        }
        if (result.frame is { } frame)
        {
            result = Check(frame, requestType, encoding, method);
        }
        if (result.problem is { } message)
        {
            ServerLog.RequestBodyRejected(logger, method, message);
            await RequestRejection.WriteAsync(context, result.code, StatusCodes.Status400BadRequest, message);
            return;
        }
        request.Body = new MemoryStream(result.frame!, writable: false);
        await next(context);
    }

    /// <summary>
    /// Reads the body as grpc-dotnet does for a call with one request message: the 5-byte prefix (compressed flag,
    /// big-endian length), refusing a length over the limit at once, then exactly that many bytes and the end of the body.
    /// </summary>
    private async Task<(byte[]? Frame, StatusCode Code, string? Problem)> ReadFrameAsync(PipeReader reader, string method, CancellationToken cancellationToken)
    {
        byte[] prefix = new byte[PrefixLength];
        while (true)
        {
            ReadResult read = await reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = read.Buffer;
            try
            {
                if (buffer.Length >= PrefixLength)
                {
                    buffer.Slice(0, PrefixLength).CopyTo(prefix);
                    if (prefix[0] > 1)
                    {
                        return Invalid($"The gRPC message prefix has compressed flag {prefix[0]}; it must be 0 or 1.");
                    }
                    uint length = BinaryPrimitives.ReadUInt32BigEndian(prefix.AsSpan(1));
                    if (length > (uint)maxMessage)
                    {
                        return (null, StatusCode.ResourceExhausted, TooLarge(length));
                    }
                    long frameLength = PrefixLength + length;
                    if (buffer.Length > frameLength)
                    {
                        return Invalid($"The request body holds more than one message; {method} takes exactly one.");
                    }
                    if (buffer.Length == frameLength && read.IsCompleted)
                    {
                        return (buffer.ToArray(), StatusCode.OK, null);
                    }
                }
                if (read.IsCompleted)
                {
                    return buffer.Length == 0
                        ? Invalid($"The request body is empty; {method} takes exactly one message.")
                        : Invalid(string.Create(CultureInfo.InvariantCulture, $"The request message is truncated: the body ended after {buffer.Length} bytes of its gRPC frame."));
                }
            }
            finally
            {
                // Nothing is consumed: on success the body is handed on whole, on failure it is not read further.
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    /// <summary>Decompresses the message if it says it is compressed (bounded by the limit) and parses it as the request type.</summary>
    private (byte[]? Frame, StatusCode Code, string? Problem) Check(byte[] frame, RequestType requestType, string encoding, string method)
    {
        ReadOnlyMemory<byte> message = frame.AsMemory(PrefixLength);
        if (frame[0] == 1)
        {
            if (encoding.Length == 0 || encoding == "identity")
            {
                return Invalid("The request message is marked compressed but the call names no grpc-encoding to decompress it with.");
            }
            if (Array.Find(Decompressors, d => d.EncodingName == encoding) is not { } decompressor)
            {
                return (frame, StatusCode.OK, null); // grpc-dotnet answers UNIMPLEMENTED, naming the encodings it has
            }
            try
            {
                using var compressed = new MemoryStream(frame, PrefixLength, frame.Length - PrefixLength, writable: false);
                using Stream decompressing = decompressor.CreateDecompressionStream(compressed);
                byte[] chunk = new byte[64 * 1024];
                using var output = new MemoryStream();
                int n;
                while ((n = decompressing.Read(chunk, 0, chunk.Length)) > 0)
                {
                    output.Write(chunk, 0, n);
                    if (output.Length > maxMessage)
                    {
                        return (null, StatusCode.ResourceExhausted, string.Create(CultureInfo.InvariantCulture,
                            $"The request message decompresses to more than this server's limit of {maxMessage} bytes (AdaDiff:Limits:MaxReceiveMessageBytes)."));
                    }
                }
                message = output.ToArray();
            }
            catch (InvalidDataException)
            {
                return Invalid($"The request message does not decompress as {encoding}.");
            }
        }
        try
        {
            _ = requestType.Parser.ParseFrom(message.Span);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or ArgumentException or InvalidOperationException or IOException)
        {
            // ArgumentException: invalid UTF-8 in a string field (DecoderFallbackException).
            return Invalid($"The request message is not a valid {requestType.Name}: its protobuf encoding is malformed, truncated or nested too deeply.");
        }
        return (frame, StatusCode.OK, null);
    }

    private static (byte[]? Frame, StatusCode Code, string? Problem) Invalid(string problem) => (null, StatusCode.InvalidArgument, problem);

    private string TooLarge(uint length) => string.Create(CultureInfo.InvariantCulture,
        $"The request message is {length} bytes, over this server's limit of {maxMessage} bytes (AdaDiff:Limits:MaxReceiveMessageBytes).");

    /// <summary>
    /// The body of a call that streams requests, handed to grpc-dotnet frame by frame once each frame has passed
    /// <see cref="Check"/>; a frame that does not fails the read with the RpcException that ends the call.
    /// </summary>
    private sealed class CheckedMessageStream(Stream inner, GrpcRequestValidationMiddleware owner, RequestType requestType, string encoding, string method) : Stream
    {
        private readonly byte[] prefix = new byte[PrefixLength];
        private byte[] frame = [];
        private int at;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length == 0)
            {
                return 0;
            }
            if (at == frame.Length)
            {
                if (await NextFrameAsync(cancellationToken) is not { } frame)
                {
                    return 0;
                }
                this.frame = frame;
                at = 0;
            }
            int n = Math.Min(buffer.Length, frame.Length - at);
            frame.AsSpan(at, n).CopyTo(buffer.Span);
            at += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        /// <summary>The next whole frame, checked; null at the end of the body.</summary>
        private async Task<byte[]?> NextFrameAsync(CancellationToken cancellationToken)
        {
            int read = await inner.ReadAtLeastAsync(prefix, PrefixLength, throwOnEndOfStream: false, cancellationToken);
            if (read == 0)
            {
                return null;
            }
            if (read < PrefixLength)
            {
                throw Fail(StatusCode.InvalidArgument, $"The request message is truncated: the body ended inside the 5-byte prefix of a gRPC frame.");
            }
            if (prefix[0] > 1)
            {
                throw Fail(StatusCode.InvalidArgument, $"The gRPC message prefix has compressed flag {prefix[0]}; it must be 0 or 1.");
            }
            uint length = BinaryPrimitives.ReadUInt32BigEndian(prefix.AsSpan(1));
            if (length > (uint)owner.maxMessage)
            {
                throw Fail(StatusCode.ResourceExhausted, owner.TooLarge(length));
            }
            // Grown as the bytes arrive, not allocated as declared.
            using var frame = new MemoryStream();
            frame.Write(prefix);
            byte[] chunk = new byte[Math.Min((int)length, 64 * 1024)];
            while (frame.Length < PrefixLength + length)
            {
                int n = await inner.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, PrefixLength + length - frame.Length)), cancellationToken);
                if (n == 0)
                {
                    throw Fail(StatusCode.InvalidArgument, string.Create(CultureInfo.InvariantCulture, $"The request message is truncated: the body ended after {frame.Length} bytes of its gRPC frame."));
                }
                frame.Write(chunk, 0, n);
            }
            byte[] bytes = frame.ToArray();
            (byte[]? checkedFrame, StatusCode code, string? problem) = owner.Check(bytes, requestType, encoding, method);
            if (problem is not null)
            {
                ServerLog.RequestBodyRejected(owner.logger, method, problem);
                throw Fail(code, problem);
            }
            return checkedFrame;
        }

        private static RpcException Fail(StatusCode code, string problem) => new(new Status(code, problem));
    }

    /// <summary>The request type of a method, null when it is not a generated protobuf message.</summary>
    private static RequestType? RequestTypeOf(IMethod method)
    {
        Type type = method.GetType();
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(Method<,>))
        {
            return null;
        }
        Type requestType = type.GetGenericArguments()[0];
        const BindingFlags PublicStatic = BindingFlags.Public | BindingFlags.Static;
        return requestType.GetProperty("Parser", PublicStatic)?.GetValue(null) is MessageParser parser
            && requestType.GetProperty("Descriptor", PublicStatic)?.GetValue(null) is Google.Protobuf.Reflection.MessageDescriptor descriptor
            ? new RequestType(parser, descriptor.FullName)
            : null;
    }

    /// <summary>A request message type: its parser and its protobuf name (e.g. adadiff.v1.GenerateRequest).</summary>
    private sealed record RequestType(MessageParser Parser, string Name);
}
