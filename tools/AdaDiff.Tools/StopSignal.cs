using System.Runtime.InteropServices;

namespace AdaDiff.Tools;

/// <summary>
/// A token that SIGTERM (kill, a scheduler's stop) and Ctrl+C cancel instead of ending the process, so a long job
/// finishes the step in flight and writes what it has before it exits.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource source = new();
    private readonly PosixSignalRegistration onTerm;
    private readonly PosixSignalRegistration onInt;

    public StopSignal()
    {
        onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Request);
        onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Request);
    }

    /// <summary>Cancelled at the first SIGTERM or Ctrl+C.</summary>
    public CancellationToken Token => source.Token;

    public void Dispose()
    {
        onTerm.Dispose();
        onInt.Dispose();
        source.Dispose();
    }

    private void Request(PosixSignalContext context)
    {
        context.Cancel = true;
        source.Cancel();
    }
}
