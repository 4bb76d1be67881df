namespace AdaDiff.Server.Internal;

/// <summary>
/// Counts the Generate streams in flight and runs the drain on shutdown: from its start no new stream is
/// admitted (callers get UNAVAILABLE and retry elsewhere) and readiness turns false; streams in flight run to
/// completion until the grace period ends, then <see cref="GraceOver"/> fires and ends the rest with UNAVAILABLE
/// and proper trailers before Kestrel closes the connections.
/// </summary>
public sealed class ServerDrain : IDisposable
{
    private readonly Lock gate = new();
    private readonly CancellationTokenSource graceOver = new();
    private readonly TaskCompletionSource idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int inFlight;
    private bool draining;

    /// <summary>True from the start of the drain.</summary>
    public bool IsDraining
    {
        get
        {
            lock (gate)
            {
                return draining;
            }
        }
    }

    /// <summary>Streams in flight now.</summary>
    public int InFlight
    {
        get
        {
            lock (gate)
            {
                return inFlight;
            }
        }
    }

    /// <summary>Fires when the grace period ends with streams still running: they must end now.</summary>
    public CancellationToken GraceOver => graceOver.Token;

    /// <summary>
    /// Admits a stream unless draining or <paramref name="maxOpen"/> streams are open (a stream stays open until its
    /// handler returns: a finished generation whose results the client has not read still counts). Every
    /// <see cref="StreamAdmission.Admitted"/> is paired with one <see cref="Exit"/>.
    /// </summary>
    public StreamAdmission TryEnter(int maxOpen)
    {
        lock (gate)
        {
            if (draining)
            {
                return StreamAdmission.Draining;
            }
            if (inFlight >= maxOpen)
            {
                return StreamAdmission.TooMany;
            }
            inFlight++;
            return StreamAdmission.Admitted;
        }
    }

    /// <summary>A stream admitted by <see cref="TryEnter"/> ended.</summary>
    public void Exit()
    {
        lock (gate)
        {
            if (--inFlight == 0 && draining)
            {
                idle.TrySetResult();
            }
        }
    }

    /// <summary>Stops admitting streams; returns how many were in flight.</summary>
    public int Begin()
    {
        lock (gate)
        {
            draining = true;
            if (inFlight == 0)
            {
                idle.TrySetResult();
            }
            return inFlight;
        }
    }

    /// <summary>
    /// Waits up to <paramref name="grace"/> for the streams in flight; returns 0 when all finished. Otherwise fires
    /// <see cref="GraceOver"/>, waits up to <paramref name="endTimeout"/> for them to write their trailers, and
    /// returns how many were still running when the grace period ended.
    /// </summary>
    public async Task<int> WaitAsync(TimeSpan grace, TimeSpan endTimeout, CancellationToken cancellationToken)
    {
        Task idle = this.idle.Task;
        if (await Completes(idle, grace, cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }
        int remaining = InFlight;
        await graceOver.CancelAsync().ConfigureAwait(false);
        await Completes(idle, endTimeout, cancellationToken).ConfigureAwait(false);
        return Math.Max(remaining, 1);
    }

    /// <inheritdoc/>
    public void Dispose() => graceOver.Dispose();

    private static async Task<bool> Completes(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>What <see cref="ServerDrain.TryEnter"/> decided.</summary>
public enum StreamAdmission
{
    /// <summary>The stream may run; call <see cref="ServerDrain.Exit"/> when it ends.</summary>
    Admitted,

    /// <summary>The server is draining: UNAVAILABLE.</summary>
    Draining,

    /// <summary>The most open streams are open: RESOURCE_EXHAUSTED.</summary>
    TooMany,
}
