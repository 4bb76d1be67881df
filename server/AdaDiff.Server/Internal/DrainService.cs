using Microsoft.Extensions.Options;

namespace AdaDiff.Server.Internal;

/// <summary>
/// Runs the graceful drain when the host stops (SIGTERM, Ctrl+C). It drains in <see cref="StoppingAsync"/>, which
/// the host runs before it stops any hosted service: before Kestrel stops accepting and closes its connections,
/// and before the models are released. Sets exit code 3 when the grace period
/// (<see cref="AdaDiffOptions.DrainTimeoutSeconds"/>) ended with streams still running.
/// </summary>
internal sealed class DrainService(ServerDrain drain, IOptions<AdaDiffOptions> options, ILogger<DrainService> logger) : IHostedLifecycleService
{
    /// <summary>Exit code when streams had to be ended at the end of the grace period.</summary>
    public const int NotDrainedExitCode = 3;

    /// <summary>How long streams ended at the end of the grace period get to write their status.</summary>
    public static readonly TimeSpan EndTimeout = TimeSpan.FromSeconds(5);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        TimeSpan grace = TimeSpan.FromSeconds(options.Value.DrainTimeoutSeconds);
        int inFlight = drain.Begin();
        ServerLog.DrainStarted(logger, inFlight, grace.TotalSeconds);
        int remaining = await drain.WaitAsync(grace, EndTimeout, cancellationToken).ConfigureAwait(false);
        if (remaining == 0)
        {
            ServerLog.Drained(logger);
            return;
        }
        ServerLog.DrainTimedOut(logger, grace.TotalSeconds, remaining);
        if (Environment.ExitCode == 0)
        {
            Environment.ExitCode = NotDrainedExitCode;
        }
    }
}
