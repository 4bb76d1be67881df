using System.Text.Json;
using System.Text.Json.Serialization;

namespace AdaDiff.ServingBenchmarks.Runner;

/// <summary>What the benchmark asks of a backend's runner process.</summary>
public enum RunnerOp
{
    /// <summary>The scheduler limits the server would derive on this backend (BatchSizing at load).</summary>
    Limits,

    /// <summary>Warm the backend up and start the engine's scheduler with <see cref="RunnerRequest.Settings"/>.</summary>
    Start,

    /// <summary>One configuration once (<see cref="RunnerRequest.Config"/>, round, seeds) through the scheduler.</summary>
    Measure,

    /// <summary>Median seconds per full-depth step of <see cref="RunnerRequest.Rows"/> rows (the peak probe's denoiser side).</summary>
    Pass,

    /// <summary>Stop the scheduler, release the backend and exit 0.</summary>
    Quit,
}

/// <summary>One request, one line of the runner's stdin.</summary>
public sealed record RunnerRequest
{
    public required RunnerOp Op { get; init; }

    /// <summary><see cref="RunnerOp.Start"/> and <see cref="RunnerOp.Measure"/>, <see cref="RunnerOp.Pass"/>: the run's settings.</summary>
    public BenchSettings? Settings { get; init; }

    /// <summary><see cref="RunnerOp.Measure"/>: the in-process configuration.</summary>
    public BenchConfig? Config { get; init; }

    public int Round { get; init; }

    public ulong SeedBase { get; init; }

    /// <summary><see cref="RunnerOp.Pass"/>: rows a step; <see cref="RunnerOp.Limits"/>: the fewest rows a pass must take.</summary>
    public int Rows { get; init; }

    /// <summary><see cref="RunnerOp.Pass"/>: generations whose median is taken; <see cref="RunnerOp.Limits"/>: the most rows a pass may take.</summary>
    public int Count { get; init; }
}

/// <summary>The limits a backend's device gives (what <c>BatchSizing.Choose</c> picked), and the timings it saw.</summary>
public sealed record DerivedLimits(int MaxBatchRows, int KneeRows, string Timings);

/// <summary>One reply, one marked line of the runner's stdout: an error, or what the request asked for.</summary>
public sealed record RunnerReply
{
    /// <summary>Set when the request failed; the runner stays up (the benchmark stops it).</summary>
    public string? Error { get; init; }

    /// <summary>The runner's first reply: the backend it loaded, and the runner's process id.</summary>
    public string? Ready { get; init; }

    public int ProcessId { get; init; }

    public Measurement? Measurement { get; init; }

    public DerivedLimits? Limits { get; init; }

    public double Seconds { get; init; } = double.NaN;
}

/// <summary>
/// The runner's wire format: one JSON object a line, requests on its stdin, replies on its stdout after
/// <see cref="Marker"/> (so that whatever a native library prints to stdout is passed over, not misread); the runner's
/// log goes to stderr. NaN travels as the JSON string "NaN".
/// </summary>
public static class RunnerProtocol
{
    public const string Marker = "@adadiff-runner ";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Request(RunnerRequest request) => JsonSerializer.Serialize(request, Json);

    /// <summary>A request line; throws <see cref="FormatException"/> with the line when it is not one.</summary>
    public static RunnerRequest ParseRequest(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        try
        {
            return JsonSerializer.Deserialize<RunnerRequest>(line, Json) ?? throw new FormatException("a null request");
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a runner request ({e.Message}): {Clip(line)}", e);
        }
    }

    /// <summary>A reply as its stdout line, marker first.</summary>
    public static string Reply(RunnerReply reply) => Marker + JsonSerializer.Serialize(reply, Json);

    /// <summary>
    /// The reply on a stdout line, or null for a line without the marker (other output); throws
    /// <see cref="FormatException"/> for a marked line that does not parse.
    /// </summary>
    public static RunnerReply? ParseReply(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (!line.StartsWith(Marker, StringComparison.Ordinal))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<RunnerReply>(line.AsSpan(Marker.Length), Json) ?? throw new FormatException("a null reply");
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a runner reply ({e.Message}): {Clip(line)}", e);
        }
    }

    private static string Clip(string line) => line.Length <= 200 ? line : line[..200] + "…";
}
