namespace AdaDiff.Soak;

/// <summary>
/// One reading of the server: from /proc (RSS, threads, open fds) and from its /metrics (managed heap, working set,
/// thread-pool threads and the service's own counters). <see cref="Phase"/> is <c>load</c> while the streams run and
/// <c>after</c> for the reading taken once they stopped.
/// </summary>
public sealed record Sample
{
    public required double ElapsedSeconds { get; init; }

    public required string Phase { get; init; }

    /// <summary>Generate calls the soak has finished (read to their end), whatever their outcome.</summary>
    public required long CallsDone { get; init; }

    /// <summary>Calls that ended with UNKNOWN, INTERNAL, UNAVAILABLE, DATA_LOSS or a transport error, so far.</summary>
    public required long Errors { get; init; }

    public required long RssBytes { get; init; }

    public required int Threads { get; init; }

    public required int Fds { get; init; }

    /// <summary><c>dotnet_gc_last_collection_heap_size_bytes</c> summed over generations.</summary>
    public required double HeapBytes { get; init; }

    public required double WorkingSetBytes { get; init; }

    public required double ThreadPoolThreads { get; init; }

    /// <summary><c>adadiff_requests_total</c> by its <c>code</c> label.</summary>
    public required IReadOnlyDictionary<string, double> RequestsByCode { get; init; }

    public required double Images { get; init; }

    public required double GenerationsActive { get; init; }

    public required double QueueDepth { get; init; }
}
