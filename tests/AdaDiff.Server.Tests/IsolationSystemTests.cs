using System.Net;
using System.Net.Sockets;
using System.Text;
using AdaDiff.Grpc.V1;
using AdaDiff.Server.Tests.Http2;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace AdaDiff.Server.Tests;

/// <summary>The real server, started once with the default limits, for <see cref="IsolationSystemTests"/>.</summary>
public sealed class DefaultLimitsServer : IAsyncLifetime
{
    internal ServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await ServerProcess.StartAsync(ServerProcess.DefaultReadyTimeout);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// One HTTP/2 connection carries a long Generate stream and, while it is in flight, requests that are over a limit or
/// malformed, in their headers or their body: each gets its own answer on its own stream, and the long stream runs to
/// its result. "In flight" is not left to timing: the client holds the long stream's flow-control window shut, so the
/// server cannot finish it until the client opens it again. Past the thresholds Kestrel enforces itself, only a GOAWAY
/// is possible; that threshold is measured here as docs/operations.md states it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class IsolationSystemTests(DefaultLimitsServer fixture) : IClassFixture<DefaultLimitsServer>
{
    private const string GeneratePath = "/adadiff.v1.DiffusionService/Generate";
    private const string ListModelsPath = "/adadiff.v1.DiffusionService/ListModels";

    // The defaults: AdaDiff:Limits:MaxRequestHeadersBytes and MaxRequestHeaderCount, and Kestrel's limits set from them.
    private const int HeadersLimit = 32 * 1024;
    private const int CountLimit = 100;
    private const int KestrelHeaders = 4 * HeadersLimit;
    private const int KestrelCount = 4 * CountLimit;

    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(3); // a hang guard, not a speed limit

    private ServerProcess Server => fixture.Server;

    [Fact]
    public async Task OneConnection_OversizedAndMalformedRequestsWhileAStreamIsInFlight_EachAnsweredOnItsOwnStream_TheStreamRunsToItsResult()
    {
        using var guard = new CancellationTokenSource(Guard);
        CancellationToken ct = guard.Token;
        await using RawHttp2Connection connection = await RawHttp2Connection.ConnectAsync(Server.GrpcPort, ct, initialWindow: 4096);
        // 400 steps without latents: about 12 KB of step events, three times the window held shut below.
        var longRequest = new GenerateRequest { Steps = 400, ClassLabel = 1, Seed = 3, Stream = new StreamOptions { LatentEncoding = LatentEncoding.None } };
        RawHttp2Stream longStream = await connection.SendAsync(connection.GrpcHeaders(GeneratePath), RawHttp2Connection.GrpcFrame(longRequest.ToByteArray()), ct, holdWindow: true);
        await longStream.MessagesReceived(1).WaitAsync(ct);

        async Task<RawHttp2Stream> Call(string path, IEnumerable<KeyValuePair<string, string>> extra, byte[]? body, string contentType = "application/grpc")
        {
            List<KeyValuePair<string, string>> headers = connection.GrpcHeaders(path);
            headers[headers.FindIndex(h => h.Key == "content-type")] = new("content-type", contentType);
            headers.AddRange(extra);
            RawHttp2Stream stream = await connection.SendAsync(headers, body, ct);
            await stream.Ended.WaitAsync(ct);
            Assert.False(stream.ConnectionLost, $"{stream}: the connection ended");
            return stream;
        }
        byte[] listModels = RawHttp2Connection.GrpcFrame([]);

        // What the operator sent: one 64 KiB metadata value. Then the same bytes in 64 fields, and 150 small fields.
        foreach (KeyValuePair<string, string>[] metadata in new[] { [new("x-big", new string('A', 64 * 1024))], Fields(64, 1024), Fields(150, 8) })
        {
            RawHttp2Stream over = await Call(ListModelsPath, metadata, listModels);
            Assert.True(over.GrpcStatus == (int)StatusCode.ResourceExhausted, over.ToString());
            Assert.Contains("AdaDiff:Limits:MaxRequestHeader", over.GrpcMessage, StringComparison.Ordinal);
        }
        // Past Kestrel's own limit (4 x 32 KiB) and below its connection threshold (twice that): Kestrel's bare 431, on
        // this stream alone. (A client that honours SETTINGS_MAX_HEADER_LIST_SIZE never sends this much.)
        RawHttp2Stream kestrel431 = await Call(ListModelsPath, Fields(200, 1024), listModels);
        Assert.True(kestrel431.HttpStatus == 431 && kestrel431.GrpcStatus is null, kestrel431.ToString());

        // Malformed bodies: random bytes, a frame cut short, a 2 GB length claim; malformed JSON on the same connection.
        byte[] garbage = new byte[300];
        new Random(7).NextBytes(garbage);
        RawHttp2Stream random = await Call(GeneratePath, [], RawHttp2Connection.GrpcFrame(garbage));
        Assert.True(random.GrpcStatus == (int)StatusCode.InvalidArgument, random.ToString());
        Assert.Contains("adadiff.v1.GenerateRequest", random.GrpcMessage, StringComparison.Ordinal);
        RawHttp2Stream cut = await Call(GeneratePath, [], RawHttp2Connection.GrpcFrame(longRequest.ToByteArray())[..9]);
        Assert.True(cut.GrpcStatus == (int)StatusCode.InvalidArgument, cut.ToString());
        RawHttp2Stream claim = await Call(GeneratePath, [], [0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);
        Assert.True(claim.GrpcStatus == (int)StatusCode.ResourceExhausted, claim.ToString());
        RawHttp2Stream json = await Call("/v1/generate", [], Encoding.UTF8.GetBytes("{\"steps\": [[["), "application/json");
        Assert.True(json.HttpStatus == 400, json.ToString());

        // The connection still serves, and the long stream is still in flight: it cannot have ended, its window is shut.
        RawHttp2Stream list = await Call(ListModelsPath, [], listModels);
        Assert.True(list.GrpcStatus == (int)StatusCode.OK, list.ToString());
        Assert.False(longStream.Ended.IsCompleted, longStream.ToString());
        Assert.Null(connection.GoAwayErrorCode);

        await connection.ReleaseAsync(longStream, ct);
        await longStream.Ended.WaitAsync(ct);
        Assert.True(longStream.GrpcStatus == (int)StatusCode.OK && longStream.ResetCode is null, longStream.ToString());
        List<GenerateResponse> events = [.. longStream.GrpcMessages().Select(GenerateResponse.Parser.ParseFrom)];
        Assert.Equal(401, events.Count);
        Assert.All(events.Take(400), e => Assert.Equal(GenerateResponse.EventOneofCase.Step, e.EventCase));
        Assert.Single(events[400].Result.Images);
    }

    /// <summary>
    /// The thresholds of docs/operations.md, at the byte and the field: sizes as Kestrel's HTTP/2 counts them (name and
    /// value of every field, pseudo-headers included), counts of fields besides the pseudo-headers. Every probe rides a
    /// connection with a stream in flight; only past twice Kestrel's limits does that stream go down with the connection.
    /// </summary>
    [Fact]
    public async Task HeaderBlocks_AtEachThreshold_AnsweredAsDocumented()
    {
        using var guard = new CancellationTokenSource(Guard);
        List<string> wrong = [];
        async Task Expect(string what, Func<List<KeyValuePair<string, string>>, IEnumerable<KeyValuePair<string, string>>> pad, string expected)
        {
            string outcome = await ProbeAsync(pad, guard.Token);
            if (outcome != expected)
            {
                wrong.Add($"{what}: expected {expected}, got {outcome}");
            }
        }
        IEnumerable<KeyValuePair<string, string>> ToTotal(List<KeyValuePair<string, string>> headers, int total) => PadTo(headers, total);

        await Expect($"{HeadersLimit} bytes", h => ToTotal(h, HeadersLimit), "served");
        await Expect($"{HeadersLimit + 1} bytes", h => ToTotal(h, HeadersLimit + 1), "RESOURCE_EXHAUSTED");
        await Expect($"{KestrelHeaders} bytes", h => ToTotal(h, KestrelHeaders), "RESOURCE_EXHAUSTED");
        await Expect($"{KestrelHeaders + 1} bytes", h => ToTotal(h, KestrelHeaders + 1), "431");
        await Expect($"{2 * KestrelHeaders} bytes", h => ToTotal(h, 2 * KestrelHeaders), "431");
        await Expect($"{2 * KestrelHeaders + 1} bytes", h => ToTotal(h, 2 * KestrelHeaders + 1), "GOAWAY");
        await Expect("one field of 64 KiB", _ => [new("x-one", new string('v', 64 * 1024))], "RESOURCE_EXHAUSTED");
        await Expect($"one field of {2 * KestrelHeaders + 1} bytes", _ => [new("x-one", new string('v', 2 * KestrelHeaders + 1))], "GOAWAY");

        // Counts: the request's own fields besides the pseudo-headers are host, content-type and te; Kestrel counts
        // the four pseudo-headers too.
        await Expect($"{CountLimit} fields", _ => Fields(CountLimit - 3, 1), "served");
        await Expect($"{CountLimit + 1} fields", _ => Fields(CountLimit - 2, 1), "RESOURCE_EXHAUSTED");
        await Expect($"{KestrelCount} fields with the pseudo-headers", _ => Fields(KestrelCount - 6, 1), "RESOURCE_EXHAUSTED");
        await Expect($"{KestrelCount + 1} fields with the pseudo-headers", _ => Fields(KestrelCount - 5, 1), "431");
        await Expect($"{2 * KestrelCount} fields with the pseudo-headers", _ => Fields(2 * KestrelCount - 6, 1), "431");
        await Expect($"{2 * KestrelCount + 1} fields with the pseudo-headers", _ => Fields(2 * KestrelCount - 5, 1), "GOAWAY");

        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    /// <summary>
    /// The same over real clients: a GrpcChannel and an HttpClient on one SocketsHttpHandler share one HTTP/2
    /// connection. The long stream is in flight because its reader stops reading: HttpClient returns flow-control credit
    /// only as the application reads, and the stream's events (float32 latents) are far larger than its 64 KiB window.
    /// </summary>
    [Fact]
    public async Task RealClients_OneConnection_CallsOverLimitsOrMalformed_FailAlone_TheLongStreamRunsToItsResult()
    {
        using var guard = new CancellationTokenSource(Guard);
        CancellationToken ct = guard.Token;
        int connections = 0;
        using var handler = new SocketsHttpHandler
        {
            InitialHttp2StreamWindowSize = 65_535,
            ConnectCallback = async (context, token) =>
            {
                Interlocked.Increment(ref connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using GrpcChannel channel = GrpcChannel.ForAddress(Server.GrpcAddress, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        var client = new DiffusionService.DiffusionServiceClient(channel);
        using HttpClient h2c = RawGrpcCall.CreateH2cClient(handler, disposeHandler: false);
        var grpcUri = new Uri(Server.GrpcAddress);

        using AsyncServerStreamingCall<GenerateResponse> longCall = client.Generate(
            new GenerateRequest { Steps = 400, ClassLabel = 4, Seed = 9, Stream = new StreamOptions { LatentEncoding = LatentEncoding.Float32 } },
            deadline: DateTime.UtcNow.Add(Guard), cancellationToken: ct);
        Assert.True(await longCall.ResponseStream.MoveNext(ct));
        int events = 1;

        // 64 KiB of metadata from a real gRPC client: RESOURCE_EXHAUSTED, with the limit named.
        RpcException headers = await Assert.ThrowsAsync<RpcException>(() =>
            client.ListModelsAsync(new ListModelsRequest(), new Metadata { { "x-big", new string('m', 64 * 1024) } }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, headers.StatusCode);
        Assert.Contains("AdaDiff:Limits:MaxRequestHeadersBytes", headers.Status.Detail, StringComparison.Ordinal);
        // Past Kestrel's limit HttpClient refuses by itself: the server advertises it (SETTINGS_MAX_HEADER_LIST_SIZE).
        RpcException local = await Assert.ThrowsAsync<RpcException>(() =>
            client.ListModelsAsync(new ListModelsRequest(), new Metadata { { "x-big", new string('m', 200 * 1024) } }, cancellationToken: ct).ResponseAsync);
        Assert.Contains(KestrelHeaders.ToString(System.Globalization.CultureInfo.InvariantCulture), local.ToString(), StringComparison.Ordinal);
        // A real message over the 4 MiB limit (a 5 MiB prompt): RESOURCE_EXHAUSTED before the server reads it all.
        RpcException body = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using AsyncServerStreamingCall<GenerateResponse> call = client.Generate(new GenerateRequest { Prompt = new string('p', 5 * 1024 * 1024) }, cancellationToken: ct);
            await call.ResponseStream.MoveNext(ct);
        });
        Assert.Equal(StatusCode.ResourceExhausted, body.StatusCode);
        Assert.Contains("AdaDiff:Limits:MaxReceiveMessageBytes", body.Status.Detail, StringComparison.Ordinal);
        // Hand-made bodies: random bytes and a frame that claims more than it carries.
        byte[] garbage = new byte[200];
        new Random(11).NextBytes(garbage);
        RawGrpcCall.Result random = await RawGrpcCall.SendAsync(h2c, grpcUri, GeneratePath, RawGrpcCall.Frame(garbage), cancellationToken: ct);
        Assert.True(random.GrpcStatus == (int)StatusCode.InvalidArgument, random.ToString());
        RawGrpcCall.Result truncated = await RawGrpcCall.SendAsync(h2c, grpcUri, GeneratePath, RawGrpcCall.Frame([0x28, 0x02], declaredLength: 40), cancellationToken: ct);
        Assert.True(truncated.GrpcStatus == (int)StatusCode.InvalidArgument, truncated.ToString());
        // HTTP/JSON on the same connection: malformed, then over the body limit.
        using (HttpResponseMessage malformed = await h2c.PostAsync(new Uri(grpcUri, "/v1/generate"), new StringContent("{\"steps\":", Encoding.UTF8, "application/json"), ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        }
        using (HttpResponseMessage large = await h2c.PostAsync(new Uri(grpcUri, "/v1/generate"), new StringContent($"{{\"prompt\":\"{new string('p', 5 * 1024 * 1024)}\"}}", Encoding.UTF8, "application/json"), ct))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        }

        // Now read the long stream to its end.
        GenerateResponse last = longCall.ResponseStream.Current;
        while (await longCall.ResponseStream.MoveNext(ct))
        {
            last = longCall.ResponseStream.Current;
            events++;
        }
        Assert.Equal(401, events);
        Assert.Single(last.Result.Images);
        Assert.Equal(StatusCode.OK, longCall.GetStatus().StatusCode);
        Assert.Equal(1, connections);
    }

    /// <summary><paramref name="count"/> fields named x-f0, x-f1, … with values of <paramref name="valueLength"/> characters.</summary>
    private static KeyValuePair<string, string>[] Fields(int count, int valueLength) =>
        [.. Enumerable.Range(0, count).Select(i => new KeyValuePair<string, string>($"x-f{i}", new string('v', valueLength)))];

    /// <summary>Fields of about 1 KiB that bring the header block to exactly <paramref name="total"/> bytes as Kestrel counts them.</summary>
    private static List<KeyValuePair<string, string>> PadTo(List<KeyValuePair<string, string>> headers, int total)
    {
        List<KeyValuePair<string, string>> pad = [];
        int size = headers.Sum(h => h.Key.Length + h.Value.Length);
        for (int i = 0; size < total; i++)
        {
            string name = $"x-p{i}";
            int value = Math.Min(1024, total - size - name.Length);
            if (value < 0)
            {
                throw new InvalidOperationException("cannot pad to that total");
            }
            pad.Add(new(name, new string('v', value)));
            size += name.Length + value;
        }
        return pad;
    }

    /// <summary>
    /// On a new connection with a stream in flight (its window held shut), a ListModels call whose extra header fields
    /// <paramref name="pad"/> builds from the base headers: "served", "RESOURCE_EXHAUSTED", "431" or "GOAWAY", after
    /// checking that the in-flight stream survived every outcome but GOAWAY and went down with the connection on GOAWAY.
    /// </summary>
    private async Task<string> ProbeAsync(Func<List<KeyValuePair<string, string>>, IEnumerable<KeyValuePair<string, string>>> pad, CancellationToken ct)
    {
        await using RawHttp2Connection connection = await RawHttp2Connection.ConnectAsync(Server.GrpcPort, ct, initialWindow: 512);
        var inFlight = new GenerateRequest { Steps = 50, ClassLabel = 2, Seed = 1, Stream = new StreamOptions { LatentEncoding = LatentEncoding.None } };
        RawHttp2Stream held = await connection.SendAsync(connection.GrpcHeaders(GeneratePath), RawHttp2Connection.GrpcFrame(inFlight.ToByteArray()), ct, holdWindow: true);
        await held.MessagesReceived(1).WaitAsync(ct);

        List<KeyValuePair<string, string>> headers = connection.GrpcHeaders(ListModelsPath);
        headers.AddRange(pad(headers).ToList());
        RawHttp2Stream? probe = null;
        try
        {
            probe = await connection.SendAsync(headers, RawHttp2Connection.GrpcFrame([]), ct);
            await probe.Ended.WaitAsync(ct);
        }
        catch (IOException) when (connection.Closed.IsCompleted)
        {
            // the server closed the connection while the header block was still being written
        }
        if (connection.GoAwayErrorCode is not null || connection.Closed.IsCompleted)
        {
            await held.Ended.WaitAsync(ct);
            return held.ConnectionLost ? "GOAWAY" : $"GOAWAY, but the in-flight stream ended otherwise: {held}";
        }
        string outcome = probe!.GrpcStatus switch
        {
            (int)StatusCode.OK => "served",
            (int)StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
            null when probe.HttpStatus == 431 => "431",
            _ => probe.ToString(),
        };
        return held.Ended.IsCompleted ? $"{outcome}, but the in-flight stream ended: {held}" : outcome;
    }
}
