using Microsoft.Extensions.Options;

namespace AdaDiff.Server.Internal;

/// <summary>
/// Runs the graceful drain when the host stops (SIGTERM, Ctrl+C). Registered after every other hosted service,
/// so it stops first: before the models are released and before Kestrel closes its connections. Sets exit code 3
/// when the grace period (<see cref="AdaDiffOptions.DrainTimeoutSeconds"/>) ended with streams still running.
/// </summary>
internal sealed class DrainService(ServerDrain drain, IOptions<AdaDiffOptions> options, ILogger<DrainService> logger) : IHostedService
{
    /// <summary>Exit code when streams had to be ended at the end of the grace period.</summary>
    public const int NotDrainedExitCode = 3;

    /// <summary>How long streams ended at the end of the grace period get to write their status.</summary>
    public static readonly TimeSpan EndTimeout = TimeSpan.FromSeconds(5);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        TimeSpan grace = TimeSpan.FromSeconds(options.Value.DrainTimeoutSeconds);
        int inFlight = drain.Begin();
        ServerLog.DrainStarted(logger, inFlight, grace.TotalSeconds);
        if (await drain.WaitAsync(grace, EndTimeout, cancellationToken).ConfigureAwait(false))
        {
            ServerLog.Drained(logger);
            return;
        }
        ServerLog.DrainTimedOut(logger, grace.TotalSeconds, drain.InFlight);
        if (Environment.ExitCode == 0)
        {
            Environment.ExitCode = NotDrainedExitCode;
        }
    }
}
