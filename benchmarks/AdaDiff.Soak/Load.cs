using AdaDiff.Grpc.V1;
using Grpc.Core;

namespace AdaDiff.Soak;

/// <summary>What kind of call a stream made next.</summary>
internal enum CallKind
{
    Valid,
    Latents,
    Cancelled,
    Invalid,
}

/// <summary>
/// The tallies of every stream: calls finished, and how they ended (client-side gRPC status or transport error).
/// Thread-safe.
/// </summary>
internal sealed class LoadTally
{
    private readonly Dictionary<string, long> outcomes = new(StringComparer.Ordinal);
    private long calls;
    private long errors;
    private long unexpected;

    public long Calls => Interlocked.Read(ref calls);

    public long Errors => Interlocked.Read(ref errors);

    /// <summary>Calls that ended otherwise than their kind should (a valid call without a result, an invalid one accepted, …).</summary>
    public long Unexpected => Interlocked.Read(ref unexpected);

    public IReadOnlyDictionary<string, long> Outcomes
    {
        get
        {
            lock (outcomes)
            {
                return new SortedDictionary<string, long>(outcomes, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Last few error descriptions, for the report.</summary>
    public List<string> ErrorExamples { get; } = [];

    public void Record(CallKind kind, string outcome, bool error, bool unexpected, string? detail)
    {
        Interlocked.Increment(ref calls);
        if (error)
        {
            Interlocked.Increment(ref errors);
        }
        if (unexpected)
        {
            Interlocked.Increment(ref this.unexpected);
        }
        lock (outcomes)
        {
            string key = $"{kind.ToString().ToLowerInvariant()}:{outcome}";
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
            if ((error || unexpected) && detail is not null && ErrorExamples.Count < 10)
            {
                ErrorExamples.Add($"{kind} {outcome}: {detail}");
            }
        }
    }
}

/// <summary>
/// One soak stream: a loop of Generate calls, each read to its end, until <c>stop</c> is set. Requests vary with a
/// seeded generator (stream i uses seed base + i): 1..4 images, 5..40 steps, every sampler, adaptive and full depth;
/// some ask for FLOAT16/FLOAT32 latents every step, some are cancelled mid-way, some carry an invalid field.
/// </summary>
internal static class LoadStream
{
    /// <summary>Status codes that fail the soak: the server broke, or the transport did.</summary>
    public static bool IsError(StatusCode code) =>
        code is StatusCode.Unknown or StatusCode.Internal or StatusCode.Unavailable or StatusCode.DataLoss;

    public static async Task RunAsync(
        DiffusionService.DiffusionServiceClient client, int seed, LoadTally tally, TimeSpan callDeadline, CancellationToken stop)
    {
        var rng = new Random(seed);
        while (!stop.IsCancellationRequested)
        {
            int roll = rng.Next(100);
            CallKind kind = roll switch
            {
                < 10 => CallKind.Invalid,
                < 25 => CallKind.Cancelled,
                < 45 => CallKind.Latents,
                _ => CallKind.Valid,
            };
            GenerateRequest request = Request(rng, kind);
            int cancelAfter = kind == CallKind.Cancelled ? rng.Next(1, Math.Max(2, (int)request.Steps / 2)) : -1;
            TimeSpan backoff = await CallAsync(client, kind, request, cancelAfter, tally, callDeadline);
            if (backoff > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(backoff, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    internal static GenerateRequest Request(Random rng, CallKind kind)
    {
        var request = new GenerateRequest
        {
            NumImages = (uint)rng.Next(1, 5),
            Seed = (ulong)rng.NextInt64(1, long.MaxValue),
            Sampler = (Sampler)rng.Next(1, 4),
            Steps = (uint)rng.Next(5, 41),
            ClassLabel = (uint)rng.Next(0, 10),
            ExitPolicy = new ExitPolicy { Mode = rng.Next(3) == 0 ? ExitMode.FullDepth : ExitMode.Adaptive },
            Stream = new StreamOptions { LatentEncoding = LatentEncoding.None },
        };
        if (kind == CallKind.Latents)
        {
            request.Stream = new StreamOptions
            {
                LatentEveryNSteps = 1,
                LatentEncoding = rng.Next(2) == 0 ? LatentEncoding.Float32 : LatentEncoding.Float16,
            };
        }
        else if (kind == CallKind.Invalid)
        {
            switch (rng.Next(4))
            {
                case 0:
                    request.NumImages = 17; // over MaxImagesPerRequest (16)
                    break;
                case 1:
                    request.Steps = 100_000; // over MaxSteps and the model's timesteps
                    break;
                case 2:
                    request.ClassLabel = 1000; // the model has 10 classes
                    break;
                default:
                    request.ExitPolicy.Threshold = 1.5f; // must be in (0, 1]
                    break;
            }
        }
        return request;
    }

    /// <summary>One call, read to its end; returns how long to wait before the next (RetryInfo on RESOURCE_EXHAUSTED).</summary>
    private static async Task<TimeSpan> CallAsync(
        DiffusionService.DiffusionServiceClient client, CallKind kind, GenerateRequest request, int cancelAfter, LoadTally tally, TimeSpan deadline)
    {
        using var cancel = new CancellationTokenSource();
        int steps = 0;
        bool result = false;
        try
        {
            using AsyncServerStreamingCall<GenerateResponse> call = client.Generate(
                request, deadline: DateTime.UtcNow + deadline, cancellationToken: cancel.Token);
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                GenerateResponse response = call.ResponseStream.Current;
                if (response.EventCase == GenerateResponse.EventOneofCase.Step)
                {
                    steps++;
                    if (steps == cancelAfter)
                    {
                        await cancel.CancelAsync();
                    }
                }
                else if (response.EventCase == GenerateResponse.EventOneofCase.Result)
                {
                    result = response.Result.Images.Count == request.NumImages;
                }
            }
            bool unexpected = kind switch
            {
                CallKind.Invalid => true,
                CallKind.Cancelled => !result, // it may have finished before the cancel took
                _ => !result,
            };
            tally.Record(kind, "OK", error: false, unexpected, unexpected ? $"ended OK after {steps} steps, result {result}" : null);
            return TimeSpan.Zero;
        }
        catch (RpcException e)
        {
            bool expected = kind switch
            {
                CallKind.Invalid => e.StatusCode == StatusCode.InvalidArgument,
                CallKind.Cancelled => e.StatusCode == StatusCode.Cancelled,
                _ => false,
            };
            bool exhausted = e.StatusCode == StatusCode.ResourceExhausted;
            bool error = IsError(e.StatusCode);
            tally.Record(kind, e.StatusCode.ToString(), error, !expected && !exhausted && !error, $"{e.Status.Detail} (after {steps} steps)");
            return exhausted ? TimeSpan.FromSeconds(1) : TimeSpan.Zero;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            tally.Record(kind, "transport", error: true, unexpected: false, $"{e.GetType().Name}: {e.Message}");
            return TimeSpan.FromSeconds(1);
        }
    }
}
