using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace AdaDiff.Server.Tests.Http2;

/// <summary>
/// A minimal HTTP/2 client over plain TCP (h2c with prior knowledge) that writes frames by hand, so a test can send
/// what a well-behaved client would refuse to (header blocks over the server's SETTINGS_MAX_HEADER_LIST_SIZE, more
/// header fields than allowed) and see exactly what the server answers: a response, RST_STREAM on one stream, or a
/// GOAWAY for the whole connection. Every stream of one instance shares one TCP connection.
/// </summary>
/// <remarks>
/// It advertises a header table size of 0 (the server's HPACK encoder then keeps no dynamic table for it) and disables
/// push. The connection's receive window is opened to 2^31-1; each stream's starts at the size given to
/// <see cref="ConnectAsync"/> and is replenished as data arrives, except on a stream opened with <c>holdWindow</c>:
/// the server cannot finish that one (it cannot send more than the window) until <see cref="ReleaseAsync"/>, which
/// makes "still in flight" a fact rather than a matter of timing. Request header fields go out as HPACK literals
/// without indexing and without Huffman coding; request bodies must fit the server's initial windows.
/// </remarks>
internal sealed class RawHttp2Connection : IAsyncDisposable
{
    private const int FrameHeaderLength = 9;
    private const int DefaultMaxFrameSize = 16_384;
    private const int MaxWindow = int.MaxValue;
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private readonly TcpClient tcp;
    private readonly NetworkStream stream;
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly ConcurrentDictionary<int, RawHttp2Stream> streams = new();
    private readonly HpackDecoder decoder = new();
    private readonly TaskCompletionSource closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource settings = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource stop = new();
    private readonly Task reader;
    private int nextStreamId = 1;

    private readonly int initialWindow;

    private RawHttp2Connection(TcpClient tcp, string authority, int initialWindow)
    {
        this.initialWindow = initialWindow;
        this.tcp = tcp;
        stream = tcp.GetStream();
        Authority = authority;
        reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>The :authority of every request.</summary>
    public string Authority { get; }

    /// <summary>The server's SETTINGS (identifier → value), once <see cref="SettingsReceived"/> has completed.</summary>
    public ConcurrentDictionary<int, uint> ServerSettings { get; } = new();

    /// <summary>Completes when the server's first SETTINGS frame has arrived.</summary>
    public Task SettingsReceived => settings.Task;

    /// <summary>Completes when the connection has ended (GOAWAY and close, reset or end of stream).</summary>
    public Task Closed => closed.Task;

    /// <summary>The GOAWAY the server sent, if any: its error code (0 NO_ERROR, 1 PROTOCOL_ERROR, 9 COMPRESSION_ERROR…).</summary>
    public int? GoAwayErrorCode { get; private set; }

    /// <summary>The last stream id of the server's GOAWAY, if any.</summary>
    public int? GoAwayLastStreamId { get; private set; }

    /// <summary>The debug text of the server's GOAWAY, if any.</summary>
    public string? GoAwayDebug { get; private set; }

    /// <summary>Opens the connection, writes the preface and SETTINGS and waits for the server's SETTINGS.</summary>
    /// <param name="port">The server's port on 127.0.0.1.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <param name="initialWindow">Each stream's initial receive window (SETTINGS_INITIAL_WINDOW_SIZE).</param>
    public static async Task<RawHttp2Connection> ConnectAsync(int port, CancellationToken cancellationToken, int initialWindow = MaxWindow)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port, cancellationToken);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
        var connection = new RawHttp2Connection(tcp, $"127.0.0.1:{port}", initialWindow);
        byte[] settings = new byte[18];
        WriteSetting(settings.AsSpan(0), 0x1, 0);            // SETTINGS_HEADER_TABLE_SIZE: no dynamic table
        WriteSetting(settings.AsSpan(6), 0x2, 0);            // SETTINGS_ENABLE_PUSH
        WriteSetting(settings.AsSpan(12), 0x4, (uint)initialWindow); // SETTINGS_INITIAL_WINDOW_SIZE
        byte[] increment = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(increment, MaxWindow - 65_535);
        await connection.WriteAsync(async () =>
        {
            await connection.stream.WriteAsync(Preface, cancellationToken);
            await connection.WriteFrameAsync(0x4, 0, 0, settings, cancellationToken);
            await connection.WriteFrameAsync(0x8, 0, 0, increment, cancellationToken);
        });
        await connection.SettingsReceived.WaitAsync(cancellationToken);
        return connection;
    }

    /// <summary>The request pseudo-headers and gRPC headers of a call to <paramref name="path"/> (e.g. <c>/adadiff.v1.DiffusionService/Generate</c>).</summary>
    public List<KeyValuePair<string, string>> GrpcHeaders(string path) =>
    [
        new(":method", "POST"),
        new(":scheme", "http"),
        new(":authority", Authority),
        new(":path", path),
        new("content-type", "application/grpc"),
        new("te", "trailers"),
    ];

    /// <summary>
    /// Opens a stream: the header block (split into HEADERS and CONTINUATION frames of at most 16 KiB), then
    /// <paramref name="body"/> as DATA with END_STREAM (or END_STREAM on the HEADERS frame without a body).
    /// </summary>
    public async Task<RawHttp2Stream> SendAsync(IEnumerable<KeyValuePair<string, string>> headers, byte[]? body, CancellationToken cancellationToken, bool holdWindow = false)
    {
        byte[] block = HpackEncoder.Encode(headers);
        RawHttp2Stream? opened = null;
        await WriteAsync(async () =>
        {
            int id = nextStreamId;
            nextStreamId += 2;
            opened = new RawHttp2Stream(id) { HoldWindow = holdWindow };
            streams[id] = opened;
            bool endOnHeaders = body is null || body.Length == 0;
            int offset = 0;
            bool first = true;
            do
            {
                int length = Math.Min(DefaultMaxFrameSize, block.Length - offset);
                bool last = offset + length == block.Length;
                byte flags = (byte)((last ? 0x4 : 0) | (first && endOnHeaders ? 0x1 : 0));
                await WriteFrameAsync(first ? (byte)0x1 : (byte)0x9, flags, id, block.AsMemory(offset, length), cancellationToken);
                offset += length;
                first = false;
            }
            while (offset < block.Length);
            if (!endOnHeaders)
            {
                for (int at = 0; at < body!.Length; at += DefaultMaxFrameSize)
                {
                    int length = Math.Min(DefaultMaxFrameSize, body.Length - at);
                    bool last = at + length == body.Length;
                    await WriteFrameAsync(0x0, last ? (byte)0x1 : (byte)0, id, body.AsMemory(at, length), cancellationToken);
                }
            }
        });
        return opened!;
    }

    /// <summary>Opens a held stream's receive window to the largest there is, so that the server can finish it.</summary>
    public Task ReleaseAsync(RawHttp2Stream stream, CancellationToken cancellationToken)
    {
        stream.HoldWindow = false;
        return WindowUpdateAsync(stream.Id, MaxWindow - initialWindow, cancellationToken);
    }

    private Task WindowUpdateAsync(int streamId, int increment, CancellationToken cancellationToken)
    {
        if (increment <= 0)
        {
            return Task.CompletedTask;
        }
        byte[] payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)increment);
        return WriteAsync(() => WriteFrameAsync(0x8, 0, streamId, payload, cancellationToken));
    }

    /// <summary>A gRPC message as it travels in DATA frames: flag 0, 4-byte big-endian length, the bytes.</summary>
    public static byte[] GrpcFrame(ReadOnlySpan<byte> message)
    {
        byte[] framed = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)message.Length);
        message.CopyTo(framed.AsSpan(5));
        return framed;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        tcp.Dispose();
        try
        {
            await reader;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            // closed by us
        }
        stop.Dispose();
        writeLock.Dispose();
    }

    private static void WriteSetting(Span<byte> at, ushort id, uint value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(at, id);
        BinaryPrimitives.WriteUInt32BigEndian(at[2..], value);
    }

    private async Task WriteAsync(Func<Task> write)
    {
        await writeLock.WaitAsync();
        try
        {
            await write();
            await stream.FlushAsync();
        }
        finally
        {
            writeLock.Release();
        }
    }

    private async Task WriteFrameAsync(byte type, byte flags, int streamId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        byte[] header = new byte[FrameHeaderLength];
        header[0] = (byte)(payload.Length >> 16);
        header[1] = (byte)(payload.Length >> 8);
        header[2] = (byte)payload.Length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(5), (uint)streamId & 0x7fffffff);
        await stream.WriteAsync(header, cancellationToken);
        if (payload.Length > 0)
        {
            await stream.WriteAsync(payload, cancellationToken);
        }
    }

    private async Task ReadLoopAsync()
    {
        byte[] header = new byte[FrameHeaderLength];
        var headerBlock = new MemoryStream();
        int headerBlockStream = 0;
        bool headerBlockEndsStream = false;
        Exception? failure = null;
        try
        {
            while (true)
            {
                await stream.ReadExactlyAsync(header, stop.Token);
                int length = (header[0] << 16) | (header[1] << 8) | header[2];
                byte type = header[3];
                byte flags = header[4];
                int streamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5)) & 0x7fffffff);
                byte[] payload = new byte[length];
                await stream.ReadExactlyAsync(payload, stop.Token);
                switch (type)
                {
                    case 0x0: // DATA
                        if (streams.TryGetValue(streamId, out RawHttp2Stream? data))
                        {
                            if (!data.HoldWindow && initialWindow < MaxWindow && (flags & 0x1) == 0)
                            {
                                await WindowUpdateAsync(streamId, payload.Length, stop.Token);
                            }
                            data.OnData(Unpad(payload, flags));
                            if ((flags & 0x1) != 0)
                            {
                                data.OnEnd();
                            }
                        }
                        break;
                    case 0x1: // HEADERS
                    {
                        ReadOnlySpan<byte> fragment = Unpad(payload, flags);
                        if ((flags & 0x20) != 0)
                        {
                            fragment = fragment[5..]; // priority
                        }
                        headerBlock.SetLength(0);
                        headerBlock.Write(fragment);
                        headerBlockStream = streamId;
                        headerBlockEndsStream = (flags & 0x1) != 0;
                        if ((flags & 0x4) != 0)
                        {
                            OnHeaderBlock(headerBlockStream, headerBlock.ToArray(), headerBlockEndsStream);
                        }
                        break;
                    }
                    case 0x9: // CONTINUATION
                        headerBlock.Write(payload);
                        if ((flags & 0x4) != 0)
                        {
                            OnHeaderBlock(headerBlockStream, headerBlock.ToArray(), headerBlockEndsStream);
                        }
                        break;
                    case 0x3: // RST_STREAM
                        if (streams.TryGetValue(streamId, out RawHttp2Stream? reset))
                        {
                            reset.OnReset((int)BinaryPrimitives.ReadUInt32BigEndian(payload));
                        }
                        break;
                    case 0x4: // SETTINGS
                        if ((flags & 0x1) == 0)
                        {
                            for (int at = 0; at + 6 <= payload.Length; at += 6)
                            {
                                ServerSettings[BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(at))] = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(at + 2));
                            }
                            await WriteAsync(() => WriteFrameAsync(0x4, 0x1, 0, ReadOnlyMemory<byte>.Empty, stop.Token));
                            settings.TrySetResult();
                        }
                        break;
                    case 0x6: // PING
                        if ((flags & 0x1) == 0)
                        {
                            await WriteAsync(() => WriteFrameAsync(0x6, 0x1, 0, payload, stop.Token));
                        }
                        break;
                    case 0x7: // GOAWAY
                        GoAwayLastStreamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff);
                        GoAwayErrorCode = (int)BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4));
                        GoAwayDebug = Encoding.UTF8.GetString(payload, 8, payload.Length - 8);
                        break;
                    default: // WINDOW_UPDATE, PRIORITY, unknown: nothing to do for a client that sends little
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            failure = e;
        }
        finally
        {
            foreach (RawHttp2Stream stream in streams.Values)
            {
                stream.OnConnectionLost(failure);
            }
            settings.TrySetException(new IOException("the connection closed before the server's SETTINGS arrived", failure));
            closed.TrySetResult();
        }
    }

    private void OnHeaderBlock(int streamId, byte[] block, bool endStream)
    {
        List<KeyValuePair<string, string>> fields = decoder.Decode(block);
        if (streams.TryGetValue(streamId, out RawHttp2Stream? stream))
        {
            stream.OnHeaders(fields);
            if (endStream)
            {
                stream.OnEnd();
            }
        }
    }

    private static ReadOnlySpan<byte> Unpad(byte[] payload, byte flags)
    {
        if ((flags & 0x8) == 0)
        {
            return payload;
        }
        int pad = payload[0];
        return payload.AsSpan(1, payload.Length - 1 - pad);
    }
}

/// <summary>One stream of a <see cref="RawHttp2Connection"/>: what came back on it and how it ended.</summary>
internal sealed class RawHttp2Stream(int id)
{
    private readonly object gate = new();
    private readonly MemoryStream data = new();
    private readonly TaskCompletionSource ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(int Count, TaskCompletionSource Reached)> messageWaiters = [];
    private List<KeyValuePair<string, string>>? headers;
    private List<KeyValuePair<string, string>>? trailers;

    public int Id { get; } = id;

    /// <summary>While true, data on this stream does not replenish its receive window (see <see cref="RawHttp2Connection.ReleaseAsync"/>).</summary>
    public bool HoldWindow { get; set; }

    /// <summary>Completes when the stream has ended: END_STREAM, RST_STREAM, or the connection went away first.</summary>
    public Task Ended => ended.Task;

    /// <summary>The error code of a RST_STREAM from the server, if one came.</summary>
    public int? ResetCode { get; private set; }

    /// <summary>True when the connection ended before the stream did.</summary>
    public bool ConnectionLost { get; private set; }

    /// <summary>The response's :status, 0 before any response headers arrived.</summary>
    public int HttpStatus => int.TryParse(Header(headers, ":status"), out int status) ? status : 0;

    /// <summary>grpc-status from the trailers (or from the headers of a trailers-only response); null when none came.</summary>
    public int? GrpcStatus => int.TryParse(Header(trailers, "grpc-status") ?? Header(headers, "grpc-status"), out int status) ? status : null;

    /// <summary>grpc-message, percent-decoded, if any.</summary>
    public string? GrpcMessage
    {
        get
        {
            string? message = Header(trailers, "grpc-message") ?? Header(headers, "grpc-message");
            return message is null ? null : Uri.UnescapeDataString(message);
        }
    }

    /// <summary>The response body so far.</summary>
    public byte[] Body
    {
        get
        {
            lock (gate)
            {
                return data.ToArray();
            }
        }
    }

    /// <summary>The complete gRPC messages (5-byte prefix stripped) received so far.</summary>
    public List<byte[]> GrpcMessages()
    {
        byte[] body = Body;
        List<byte[]> messages = [];
        int at = 0;
        while (at + 5 <= body.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(at + 1));
            if (at + 5 + length > body.Length)
            {
                break;
            }
            messages.Add(body.AsSpan(at + 5, length).ToArray());
            at += 5 + length;
        }
        return messages;
    }

    /// <summary>Completes once <paramref name="count"/> complete gRPC messages have arrived (or the stream ended).</summary>
    public Task MessagesReceived(int count)
    {
        lock (gate)
        {
            if (GrpcMessages().Count >= count || ended.Task.IsCompleted)
            {
                return Task.CompletedTask;
            }
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            messageWaiters.Add((count, reached));
            return reached.Task;
        }
    }

    public override string ToString() =>
        $"stream {Id}: :status {HttpStatus}, grpc-status {GrpcStatus?.ToString(CultureInfo.InvariantCulture) ?? "none"} '{GrpcMessage}', reset {ResetCode?.ToString(CultureInfo.InvariantCulture) ?? "none"}, connection lost {ConnectionLost}, {Body.Length} body bytes";

    internal void OnHeaders(List<KeyValuePair<string, string>> fields)
    {
        lock (gate)
        {
            if (headers is null)
            {
                headers = fields;
            }
            else
            {
                trailers = fields;
            }
        }
    }

    internal void OnData(ReadOnlySpan<byte> data)
    {
        lock (gate)
        {
            this.data.Write(data);
            if (messageWaiters.Count > 0)
            {
                int count = GrpcMessages().Count;
                foreach ((int wanted, TaskCompletionSource reached) in messageWaiters.Where(w => w.Count <= count).ToList())
                {
                    reached.TrySetResult();
                    messageWaiters.Remove((wanted, reached));
                }
            }
        }
    }

    internal void OnEnd() => Finish();

    internal void OnReset(int code)
    {
        ResetCode = code;
        Finish();
    }

    internal void OnConnectionLost(Exception? _)
    {
        if (!ended.Task.IsCompleted)
        {
            ConnectionLost = true;
        }
        Finish();
    }

    private void Finish()
    {
        lock (gate)
        {
            foreach ((int _, TaskCompletionSource reached) in messageWaiters)
            {
                reached.TrySetResult();
            }
            messageWaiters.Clear();
        }
        ended.TrySetResult();
    }

    private static string? Header(List<KeyValuePair<string, string>>? fields, string name) =>
        fields?.FirstOrDefault(f => f.Key == name).Value;
}
