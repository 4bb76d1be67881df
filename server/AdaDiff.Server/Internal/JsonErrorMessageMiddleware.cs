using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;

namespace AdaDiff.Server.Internal;

/// <summary>
/// Keeps .NET names out of HTTP/JSON error messages. JSON transcoding answers a request body it cannot read with
/// INVALID_ARGUMENT (400) and, for anything but a JSON syntax error, the text of the exception it caught, which can name
/// the generated .NET type (<c>Error converting value "X" to enum type AdaDiff.Grpc.V1.Sampler.</c>). Error bodies of
/// transcoded routes (never a 2xx stream) are held until the call ends and their message rewritten: .NET type names
/// become protobuf names (<c>adadiff.v1.Sampler</c>), and a message that still names an exception or a stack frame is
/// replaced by one that names only the request type.
/// </summary>
internal sealed class JsonErrorMessageMiddleware(RequestDelegate next)
{
    /// <summary>Error bodies are small google.rpc.Status objects; anything larger passes unchanged.</summary>
    private const int MaxHeldBytes = 64 * 1024;

    /// <summary>How error bodies are written: apostrophes and non-ASCII as themselves (the body is JSON, never HTML).</summary>
    internal static readonly System.Text.Json.JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly ConcurrentDictionary<FileDescriptor, KeyValuePair<string, string>[]> NamesByFile = new();

    public async Task InvokeAsync(HttpContext context)
    {
        if (RequestRejection.IsGrpc(context.Request) || context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is not { } transcoding)
        {
            await next(context);
            return;
        }
        Stream original = context.Response.Body;
        var body = new ErrorHoldingStream(original, context.Response);
        context.Response.Body = body;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }
        if (body.Held is { } held)
        {
            await original.WriteAsync(Rewrite(held, transcoding.MethodDescriptor), context.RequestAborted);
        }
    }

    /// <summary>The error body with its message cleaned; unchanged when it is not a JSON object with a string message.</summary>
    internal static byte[] Rewrite(byte[] body, MethodDescriptor method)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject status && status["message"] is JsonValue value && value.TryGetValue(out string? message))
            {
                string cleaned = Clean(message, method);
                if (!ReferenceEquals(cleaned, message))
                {
                    status["message"] = cleaned;
                    return System.Text.Encoding.UTF8.GetBytes(status.ToJsonString(JsonOptions));
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // not JSON: leave it
        }
        return body;
    }

    internal static string Clean(string message, MethodDescriptor method)
    {
        string cleaned = message;
        foreach ((string clrName, string protoName) in NamesByFile.GetOrAdd(method.File, ProtobufNames))
        {
            cleaned = cleaned.Replace(clrName, protoName, StringComparison.Ordinal);
        }
        if (cleaned.Contains("Exception", StringComparison.Ordinal) || cleaned.Contains("System.", StringComparison.Ordinal)
            || cleaned.Contains("   at ", StringComparison.Ordinal) || cleaned.Contains(".cs:line", StringComparison.Ordinal))
        {
            return $"The request could not be read as a {method.InputType.FullName}.";
        }
        return string.Equals(cleaned, message, StringComparison.Ordinal) ? message : cleaned;
    }

    /// <summary>.NET full name → protobuf full name of every message and enum of a file, longest .NET name first.</summary>
    private static KeyValuePair<string, string>[] ProtobufNames(FileDescriptor file)
    {
        List<KeyValuePair<string, string>> names = [];
        void Add(Type? clrType, string protoName)
        {
            if (clrType?.FullName is { } clrName)
            {
                names.Add(new(clrName.Replace('+', '.'), protoName));
            }
        }
        void AddMessage(MessageDescriptor message)
        {
            Add(message.ClrType, message.FullName);
            foreach (EnumDescriptor nested in message.EnumTypes)
            {
                Add(nested.ClrType, nested.FullName);
            }
            foreach (MessageDescriptor nested in message.NestedTypes)
            {
                AddMessage(nested);
            }
        }
        foreach (MessageDescriptor message in file.MessageTypes)
        {
            AddMessage(message);
        }
        foreach (EnumDescriptor enumType in file.EnumTypes)
        {
            Add(enumType.ClrType, enumType.FullName);
        }
        return [.. names.OrderByDescending(n => n.Key.Length)];
    }

    /// <summary>
    /// Passes a successful response straight through; holds an error response (status 400 or more when its first byte
    /// is written) so that its message can be rewritten once the call has ended.
    /// </summary>
    private sealed class ErrorHoldingStream(Stream inner, HttpResponse response) : Stream
    {
        private MemoryStream? held;
        private bool decided;
        private bool passThrough;

        /// <summary>The error body, when one was held.</summary>
        public byte[]? Held => held?.ToArray();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
            if (PassThrough())
            {
                inner.Flush();
            }
        }

        public override Task FlushAsync(CancellationToken cancellationToken) =>
            PassThrough() ? inner.FlushAsync(cancellationToken) : Task.CompletedTask;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (PassThrough())
            {
                inner.Write(buffer);
            }
            else if (held!.Length + buffer.Length <= MaxHeldBytes)
            {
                held.Write(buffer);
            }
            else
            {
                inner.Write(held.GetBuffer().AsSpan(0, (int)held.Length));
                held = null;
                passThrough = true;
                inner.Write(buffer);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (PassThrough())
            {
                await inner.WriteAsync(buffer, cancellationToken);
            }
            else if (held!.Length + buffer.Length <= MaxHeldBytes)
            {
                held.Write(buffer.Span);
            }
            else
            {
                // Not a status object after all: write what was held and pass the rest through.
                await inner.WriteAsync(held.GetBuffer().AsMemory(0, (int)held.Length), cancellationToken);
                held = null;
                passThrough = true;
                await inner.WriteAsync(buffer, cancellationToken);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private bool PassThrough()
        {
            if (!decided)
            {
                decided = true;
                passThrough = response.StatusCode < 400;
                if (!passThrough)
                {
                    held = new MemoryStream();
                    response.ContentLength = null; // the rewritten message may be longer or shorter
                }
            }
            return passThrough;
        }
    }
}
