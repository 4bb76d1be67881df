using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using AdaDiff.Grpc.V1;
using AdaDiff.Server.Tests.Http2;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace AdaDiff.Server.Tests;

/// <summary>
/// The real server fed a few hundred malformed, truncated, mutated and wild requests over gRPC (raw frames through
/// HttpClient over h2c) and over HTTP/JSON (both ports), all from one seed: every answer must be a well-formed status
/// (a gRPC status that is neither UNKNOWN nor INTERNAL, or an HTTP 2xx/4xx), nothing may reset a connection, no message
/// may show an exception or a stack, and afterwards the server must be healthy and generate the same PNGs as before.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class FuzzSystemTests(ITestOutputHelper output)
{
    /// <summary>The seed; ADADIFF_FUZZ_SEED replays another one.</summary>
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("ADADIFF_FUZZ_SEED"), out int seed) ? seed : 20_250_611;

    private const string Model = "fashion-mnist-uvit";
    private const string GeneratePath = "/adadiff.v1.DiffusionService/Generate";
    private const string ListModelsPath = "/adadiff.v1.DiffusionService/ListModels";
    private const string GetModelPath = "/adadiff.v1.DiffusionService/GetModel";
    private const string HealthPath = "/grpc.health.v1.Health/Check";
    private const string ReflectionPath = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

    /// <summary>Calls that could run long (a wild but valid Generate) are cut by their deadline; DEADLINE_EXCEEDED is a fine answer.</summary>
    private static readonly KeyValuePair<string, string>[] Deadline = [new("grpc-timeout", "5S")];

    private static readonly GenerateRequest Reference = new() { NumImages = 2, Steps = 6, ClassLabel = 3, Seed = 1234 };

    [Fact]
    public async Task MalformedAndWildRequests_EveryAnswerAWellFormedStatus_ServerUnharmed()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(ServerProcess.DefaultReadyTimeout);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(5)); // a hang guard, not a speed limit
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new DiffusionService.DiffusionServiceClient(channel);
        var health = new Health.HealthClient(channel);
        byte[][] before = [.. (await Generation.RunAsync(client, Reference, guard.Token)).Result.Images.Select(i => i.Png.ToByteArray())];

        var grpcUri = new Uri(server.GrpcAddress);
        var httpUri = new Uri($"http://127.0.0.1:{server.HttpPort}");
        int h2cConnections = 0;
        int http11Connections = 0;
        using var h2cHandler = new SocketsHttpHandler { ConnectCallback = CountingConnect(() => Interlocked.Increment(ref h2cConnections)) };
        using HttpClient h2c = RawGrpcCall.CreateH2cClient(h2cHandler, disposeHandler: false);
        using var http11Handler = new SocketsHttpHandler { ConnectCallback = CountingConnect(() => Interlocked.Increment(ref http11Connections)) };
        using var http11 = new HttpClient(http11Handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(60) };

        var random = new Random(Seed);
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var examples = new Dictionary<string, string>(StringComparer.Ordinal);
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        List<FuzzCase> cases = [.. GrpcCases(random), .. JsonCases(random)];
        for (int i = 0; i < cases.Count; i++)
        {
            FuzzCase c = cases[i];
            string outcome;
            try
            {
                outcome = c.Json is null
                    ? await SendGrpcAsync(h2c, grpcUri, c, guard.Token)
                    : await SendJsonAsync(c.Http2 ? h2c : http11, c.Http2 ? grpcUri : httpUri, c, guard.Token);
            }
            catch (HttpRequestException e) when (c.Http2 && c.Path.Contains("%00", StringComparison.Ordinal)
                && e.HttpRequestError == HttpRequestError.HttpProtocolError && e.Message.Contains("PROTOCOL_ERROR", StringComparison.Ordinal))
            {
                // Kestrel refuses a :path with a NUL byte before any application code runs, with RST_STREAM on that
                // stream alone (over HTTP/1.1 the same target gets a bare 400); the connection carries on, as the
                // count of connections below shows.
                outcome = "ok h2 RST_STREAM(PROTOCOL_ERROR) from Kestrel for a NUL byte in the path (that stream alone): " + e.Message;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                outcome = $"no answer: {e.GetType().Name}: {e.Message}";
            }
            string key = outcome.Split(':')[0];
            counts[key] = counts.GetValueOrDefault(key) + 1;
            examples.TryAdd(key, $"{c.Name} -> {outcome[(key.Length + 1)..].Trim()}");
            if (!outcome.StartsWith("ok ", StringComparison.Ordinal))
            {
                failures.Add($"#{i} {c.Name}: {outcome}");
            }
        }
        TimeSpan fuzzTime = clock.Elapsed;

        output.WriteLine($"seed {Seed}: {cases.Count} inputs in {fuzzTime.TotalSeconds:F1} s; {h2cConnections} HTTP/2 connection(s), {http11Connections} HTTP/1.1");
        foreach ((string key, int n) in counts)
        {
            output.WriteLine($"  {key}: {n}  (e.g. {examples[key]})");
        }
        Assert.True(failures.Count == 0, $"seed {Seed}: {failures.Count} of {cases.Count} answers were not well-formed:\n{string.Join('\n', failures.Take(40))}");
        // Every gRPC and h2c JSON input went over one HTTP/2 connection: none of them ended it. (HTTP/1.1 carries one
        // request at a time, and Kestrel closes it after a 413 whose body it will not read.)
        Assert.Equal(1, h2cConnections);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest(), cancellationToken: guard.Token)).Status);
        Assert.Equal(HttpStatusCode.OK, (await http11.GetAsync(new Uri(httpUri, "/readyz"), guard.Token)).StatusCode);
        byte[][] after = [.. (await Generation.RunAsync(client, Reference, guard.Token)).Result.Images.Select(i => i.Png.ToByteArray())];
        Assert.Equal(before.Length, after.Length);
        for (int k = 0; k < before.Length; k++)
        {
            Assert.True(before[k].AsSpan().SequenceEqual(after[k]), $"image {k} differs after the fuzzing");
        }
        Assert.False(server.HasExited);
    }

    /// <summary>One input: a gRPC body for <see cref="Path"/>, or (with <see cref="Json"/>) an HTTP/JSON request.</summary>
    private sealed record FuzzCase(string Name, string Path, byte[] Body, string? Json = null, string Method = "POST", bool Http2 = false,
        KeyValuePair<string, string>[]? Metadata = null);

    private static async Task<string> SendGrpcAsync(HttpClient h2c, Uri server, FuzzCase c, CancellationToken cancellationToken)
    {
        RawGrpcCall.Result r = await RawGrpcCall.SendAsync(h2c, server, c.Path, c.Body, c.Metadata ?? Deadline, cancellationToken);
        if (r.HttpStatus != 200 || r.GrpcStatus is not { } code)
        {
            return $"not a gRPC status: {r}";
        }
        var status = (StatusCode)code;
        if (status is StatusCode.Unknown or StatusCode.Internal or StatusCode.DataLoss)
        {
            return $"grpc {status}: {r}";
        }
        if (Leaks(r.GrpcMessage))
        {
            return $"leaky message: {r}";
        }
        return $"ok grpc {status}: {r}";
    }

    private static async Task<string> SendJsonAsync(HttpClient client, Uri server, FuzzCase c, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(c.Method), new Uri(server, c.Path));
        if (c.Http2)
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
        if (c.Method == "POST")
        {
            request.Content = new StringContent(c.Json!, Encoding.UTF8, "application/json");
        }
        using HttpResponseMessage response = await client.SendAsync(request, cancellationToken);
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        int status = (int)response.StatusCode;
        string port = c.Http2 ? "h2c" : "http/1.1";
        if (status >= 500 || status < 200)
        {
            return $"http {port} {status}: {Truncate(body)}";
        }
        // An error carries a google.rpc.Status JSON body, except Kestrel's own 400 for a request target it cannot
        // parse (an HTTP/1.1 NUL in the path), which comes before any application code and has no body.
        if (status >= 400 && (Leaks(body) || !(body.Contains("\"message\"", StringComparison.Ordinal) || (status == 400 && body.Length == 0))))
        {
            return $"leaky or bare error {status}: {Truncate(body)}";
        }
        return $"ok http {status}: {Truncate(body)}";
    }

    /// <summary>An exception type, a stack frame or a source line in a message sent to a client.</summary>
    private static bool Leaks(string? message) =>
        message is not null && (message.Contains("Exception", StringComparison.Ordinal) || message.Contains("   at ", StringComparison.Ordinal)
            || message.Contains(".cs:line", StringComparison.Ordinal) || message.Contains("System.", StringComparison.Ordinal)
            || message.Contains("Google.Protobuf", StringComparison.Ordinal) || message.Contains("AdaDiff.Grpc", StringComparison.Ordinal));

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";

    private static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> CountingConnect(Action opened) =>
        async (context, cancellationToken) =>
        {
            opened();
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };

    // ---- inputs -------------------------------------------------------------------------------------------------

    private static readonly (string Path, byte[] Message)[] Templates =
    [
        (GeneratePath, new GenerateRequest
        {
            Model = Model, NumImages = 1, Steps = 2, ClassLabel = 3, Seed = 5, Sampler = Sampler.Ddim, GuidanceScale = 1.5f,
            ExitPolicy = new ExitPolicy { Mode = ExitMode.Adaptive, Threshold = 0.9f, MinLayers = 2 },
            Stream = new StreamOptions { LatentEncoding = LatentEncoding.Float16, PreviewEveryNSteps = 1, LatentEveryNSteps = 1 },
        }.ToByteArray()),
        (GetModelPath, new GetModelRequest { Name = Model }.ToByteArray()),
        (ListModelsPath, new ListModelsRequest().ToByteArray()),
        (HealthPath, new HealthCheckRequest { Service = "adadiff.v1.DiffusionService" }.ToByteArray()),
        (ReflectionPath, new global::Grpc.Reflection.V1Alpha.ServerReflectionRequest { FileContainingSymbol = "adadiff.v1.DiffusionService" }.ToByteArray()),
    ];

    private static IEnumerable<FuzzCase> GrpcCases(Random random)
    {
        string RandomPath() => Templates[random.Next(Templates.Length)].Path;
        // Random bytes, correctly framed and not.
        for (int i = 0; i < 40; i++)
        {
            byte[] bytes = RandomBytes(random, random.Next(1, 600));
            yield return new FuzzCase($"random message {bytes.Length} B", RandomPath(), RawGrpcCall.Frame(bytes));
        }
        for (int i = 0; i < 20; i++)
        {
            yield return new FuzzCase("random body", RandomPath(), RandomBytes(random, random.Next(0, 64)));
        }
        foreach ((string path, byte[] message) in Templates)
        {
            byte[] frame = RawGrpcCall.Frame(message);
            yield return new FuzzCase("empty body", path, []);
            yield return new FuzzCase("prefix only", path, frame[..5]);
            yield return new FuzzCase("two messages", path, [.. frame, .. frame]);
            yield return new FuzzCase("trailing byte", path, [.. frame, 0]);
            yield return new FuzzCase("compressed flag 2", path, RawGrpcCall.Frame(message, flag: 2));
            yield return new FuzzCase("compressed flag without encoding", path, RawGrpcCall.Frame(message, flag: 1));
            yield return new FuzzCase("2 GB declared", path, RawGrpcCall.Frame(message, declaredLength: int.MaxValue));
            yield return new FuzzCase("4 GB declared", path, RawGrpcCall.Frame(message, declaredLength: uint.MaxValue));
            yield return new FuzzCase("limit + 1 declared", path, RawGrpcCall.Frame(message, declaredLength: 4 * 1024 * 1024 + 1));
            // Protobuf claims: a length-delimited field of 2 GB, an unterminated varint, groups nested past the recursion limit.
            yield return new FuzzCase("field claims 2 GB", path, RawGrpcCall.Frame([0x0a, 0xff, 0xff, 0xff, 0xff, 0x07, 0x41]));
            yield return new FuzzCase("unterminated varint", path, RawGrpcCall.Frame([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
            yield return new FuzzCase("groups nested 200 deep", path, RawGrpcCall.Frame([.. Enumerable.Repeat((byte)0x7b, 200), .. Enumerable.Repeat((byte)0x7c, 200)]));
            yield return new FuzzCase("field number 0", path, RawGrpcCall.Frame([0x00, 0x01]));
            yield return new FuzzCase("wire type 7", path, RawGrpcCall.Frame([0x0f, 0x01]));
            yield return new FuzzCase("invalid UTF-8 string", path, RawGrpcCall.Frame([0x0a, 0x03, 0xc3, 0x28, 0xff]));
            // Truncations: the frame cut (its prefix still claims the whole), and the message cut (prefix fixed up).
            for (int i = 0; i < 6 && message.Length > 1; i++)
            {
                int cut = random.Next(1, message.Length);
                yield return new FuzzCase($"frame cut at {cut}", path, frame[..(5 + cut)]);
                yield return new FuzzCase($"message cut at {cut}", path, RawGrpcCall.Frame(message.AsSpan(0, cut)));
            }
            // Mutations: flipped bits, replaced, inserted and deleted bytes.
            for (int i = 0; i < 20; i++)
            {
                yield return new FuzzCase("mutated message", path, RawGrpcCall.Frame(Mutate(random, message)));
            }
        }
        // Metadata: compression that does not decompress or decompresses past the limit, unknown encodings, wild
        // deadlines, headers over the limit.
        byte[] generate = Templates[0].Message;
        byte[] bomb = Gzip(new byte[5 * 1024 * 1024]);
        KeyValuePair<string, string>[] Encoding(string name) => [new("grpc-encoding", name), .. Deadline];
        yield return new FuzzCase("gzip of random bytes", GeneratePath, RawGrpcCall.Frame(RandomBytes(random, 100), flag: 1), Metadata: Encoding("gzip"));
        yield return new FuzzCase("gzip of a valid message", GeneratePath, RawGrpcCall.Frame(Gzip(generate), flag: 1), Metadata: Encoding("gzip"));
        yield return new FuzzCase("gzip cut short", GeneratePath, RawGrpcCall.Frame(Gzip(generate).AsSpan(0, 12), flag: 1), Metadata: Encoding("gzip"));
        yield return new FuzzCase("gzip bomb (5 MiB of zeros)", GeneratePath, RawGrpcCall.Frame(bomb, flag: 1), Metadata: Encoding("gzip"));
        yield return new FuzzCase("deflate of random bytes", GetModelPath, RawGrpcCall.Frame(RandomBytes(random, 50), flag: 1), Metadata: Encoding("deflate"));
        yield return new FuzzCase("identity but compressed", GetModelPath, RawGrpcCall.Frame(generate, flag: 1), Metadata: Encoding("identity"));
        yield return new FuzzCase("unknown encoding", GetModelPath, RawGrpcCall.Frame(generate, flag: 1), Metadata: Encoding("x-unknown"));
        foreach (string timeout in new[] { "abc", "-1S", "99999999999H", "0n", "1u" })
        {
            yield return new FuzzCase($"grpc-timeout {timeout}", ListModelsPath, RawGrpcCall.Frame([]), Metadata: [new("grpc-timeout", timeout)]);
        }
        yield return new FuzzCase("64 KiB of metadata", ListModelsPath, RawGrpcCall.Frame([]), Metadata: [new("x-big", new string('m', 64 * 1024))]);
        yield return new FuzzCase("150 metadata fields", ListModelsPath, RawGrpcCall.Frame([]), Metadata: [.. Enumerable.Range(0, 150).Select(i => new KeyValuePair<string, string>($"x-m{i}", "v"))]);
        // Valid protobuf with wild field values.
        for (int i = 0; i < 60; i++)
        {
            yield return new FuzzCase("wild Generate", GeneratePath, RawGrpcCall.Frame(WildGenerate(random).ToByteArray()));
        }
        for (int i = 0; i < 12; i++)
        {
            yield return new FuzzCase("wild GetModel", GetModelPath, RawGrpcCall.Frame(new GetModelRequest { Name = WildString(random) }.ToByteArray()));
            yield return new FuzzCase("wild Health", HealthPath, RawGrpcCall.Frame(new HealthCheckRequest { Service = WildString(random) }.ToByteArray()));
        }
    }

    private static IEnumerable<FuzzCase> JsonCases(Random random)
    {
        const string Valid = "{\"model\":\"fashion-mnist-uvit\",\"numImages\":1,\"steps\":2,\"classLabel\":3,\"seed\":\"5\",\"sampler\":\"SAMPLER_DDIM\",\"guidanceScale\":1.5,\"exitPolicy\":{\"mode\":\"EXIT_MODE_ADAPTIVE\",\"threshold\":0.9,\"minLayers\":2},\"stream\":{\"latentEncoding\":\"LATENT_ENCODING_FLOAT16\",\"previewEveryNSteps\":1}}";
        string[] wild =
        [
            "", "null", "[]", "\"text\"", "42", "{", "}", "{\"numImages\":", "{\"numImages\":\"many\"}", "{\"numImages\":-1}",
            "{\"numImages\":1e400}", "{\"steps\":18446744073709551616}", "{\"seed\":\"-1\"}", "{\"seed\":{}}", "{\"sampler\":\"SAMPLER_NOPE\"}",
            "{\"sampler\":99}", "{\"guidanceScale\":\"NaN\"}", "{\"guidanceScale\":\"Infinity\",\"classLabel\":1,\"steps\":1}", "{\"classLabel\":1,\"prompt\":\"both\"}",
            "{\"exitPolicy\":[]}", "{\"exitPolicy\":{\"threshold\":\"x\"}}", "{\"stream\":{\"latentEncoding\":7}}", "{\"unknownField\":1}",
            "{\"model\":\"../../etc/passwd\",\"steps\":1}", "{\"model\":\"" + new string('m', 5000) + "\"}", "{\"prompt\":\"" + new string('p', 3000) + "\"}",
            new string('[', 5000) + new string(']', 5000), "{\"a\":" + string.Concat(Enumerable.Repeat("{\"a\":", 3000)) + "1" + new string('}', 3001),
            "{\"numImages\":1,\"steps\":1,\"classLabel\":1,\"numImages\":2}", "{\"model\":\"\\ud800\"}", "\u0000\u0001\u0002",
            "{\"steps\":1,\"classLabel\":1,\"seed\":\"12\",\"exitPolicy\":{\"mode\":\"EXIT_MODE_FIXED_DEPTH\",\"fixedDepth\":100}}",
        ];
        foreach (string body in wild)
        {
            yield return new FuzzCase("wild JSON", "/v1/generate", [], Json: body);
            yield return new FuzzCase("wild JSON over h2c", "/v1/generate", [], Json: body, Http2: true);
        }
        for (int i = 0; i < 40; i++)
        {
            string mutated = Encoding.UTF8.GetString(Mutate(random, Encoding.UTF8.GetBytes(Valid)));
            yield return new FuzzCase("mutated JSON", "/v1/generate", [], Json: mutated, Http2: i % 4 == 0);
        }
        for (int i = 0; i < 10; i++)
        {
            yield return new FuzzCase("random bytes as JSON", "/v1/generate", [], Json: Encoding.Latin1.GetString(RandomBytes(random, random.Next(1, 200))));
        }
        yield return new FuzzCase("5 MB JSON", "/v1/generate", [], Json: "{\"prompt\":\"" + new string('p', 5_000_000) + "\"}");
        for (int i = 0; i < 12; i++)
        {
            string name = Uri.EscapeDataString(WildString(random));
            yield return new FuzzCase("wild model name", $"/v1/models/{(name.Length == 0 ? "%20" : name)}", [], Json: "", Method: "GET", Http2: i % 3 == 0);
            yield return new FuzzCase("wild query", $"/v1/models?{Uri.EscapeDataString(WildString(random))}={Uri.EscapeDataString(WildString(random))}", [], Json: "", Method: "GET");
        }
    }

    private static GenerateRequest WildGenerate(Random random)
    {
        T Pick<T>(params T[] values) => values[random.Next(values.Length)];
        var request = new GenerateRequest
        {
            Model = random.Next(3) == 0 ? WildString(random) : Pick("", Model),
            NumImages = Pick(0u, 1u, 2u, 17u, 1025u, uint.MaxValue),
            Seed = (ulong)random.NextInt64() * (ulong)random.Next(1, 3),
            Sampler = (Sampler)Pick(0, 1, 2, 3, 4, -1, int.MaxValue),
            Steps = Pick(1u, 2u, 3u, 1001u, 100_000u, uint.MaxValue),
            GuidanceScale = Pick(0f, 1f, 7.5f, -1f, 20.0001f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, float.MaxValue),
        };
        switch (random.Next(4))
        {
            case 0:
                request.ClassLabel = Pick(0u, 3u, 9u, 10u, uint.MaxValue);
                break;
            case 1:
                request.Prompt = WildString(random);
                break;
            default:
                break;
        }
        if (random.Next(2) == 0)
        {
            request.ExitPolicy = new ExitPolicy
            {
                Mode = (ExitMode)Pick(0, 1, 2, 3, 9, -5),
                Threshold = Pick(0f, 0.5f, 1f, 1.0001f, -0f, float.NaN, float.NegativeInfinity),
                MinLayers = Pick(0u, 1u, 13u, 14u, uint.MaxValue),
                FixedDepth = Pick(0u, 1u, 13u, 14u, uint.MaxValue),
            };
        }
        if (random.Next(2) == 0)
        {
            request.Stream = new StreamOptions
            {
                LatentEveryNSteps = Pick(0u, 1u, uint.MaxValue),
                LatentEncoding = (LatentEncoding)Pick(0, 1, 2, 3, 42, -1),
                PreviewEveryNSteps = Pick(0u, 1u, 2u, uint.MaxValue),
                PredictedCleanEveryNSteps = Pick(0u, 1u, 3u, uint.MaxValue),
            };
        }
        return request;
    }

    private static string WildString(Random random) => random.Next(8) switch
    {
        0 => "",
        1 => new string('x', random.Next(60, 5000)),
        2 => "../../../../etc/passwd",
        3 => "fashion-mnist-uvit\n",
        4 => "名前\u0000\u202e\ud83d\ude00",
        5 => " leading space",
        6 => Convert.ToBase64String(RandomBytes(random, random.Next(1, 40))),
        _ => string.Create(CultureInfo.InvariantCulture, $"model-{random.Next()}"),
    };

    private static byte[] Gzip(byte[] data)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }
        return compressed.ToArray();
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Mutate(Random random, byte[] original)
    {
        List<byte> bytes = [.. original];
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(4))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                default:
                    if (bytes.Count > 0)
                    {
                        bytes.RemoveAt(at);
                    }
                    break;
            }
        }
        return [.. bytes];
    }
}
