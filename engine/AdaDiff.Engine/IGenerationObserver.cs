namespace AdaDiff.Engine;

/// <summary>
/// Receives what the engine measures, for metrics. Called on the scheduler's worker thread: keep it cheap.
/// The server implements it over its OpenTelemetry instruments; the engine knows no metrics library.
/// </summary>
public interface IGenerationObserver
{
    /// <summary>One network pass ran over <paramref name="rows"/> rows in <paramref name="seconds"/>, running <paramref name="rowLayers"/> row-layers in all.</summary>
    void NetworkPass(int rows, long rowLayers, double seconds);

    /// <summary>One image finished one step at <paramref name="exitLayer"/> of <paramref name="depth"/> at <paramref name="timestep"/> (of T).</summary>
    void ImageStep(int exitLayer, int depth, int timestep, int timesteps);

    /// <summary>A job's step ran: its compute, and the seconds the step took; <paramref name="secondsPerLayer"/> is the measured cost of one row-layer in that pass.</summary>
    void JobStep(ComputeTotals compute, double stepSeconds, double secondsPerLayer, int rowsPerImage);

    /// <summary>A job left the queue and ran its first step after <paramref name="queueSeconds"/>; its first step ended after <paramref name="firstStepSeconds"/> since enqueue.</summary>
    void JobStarted(double queueSeconds, double firstStepSeconds);

    /// <summary>A job finished (<paramref name="completed"/> false when cancelled or failed) with <paramref name="images"/> images after <paramref name="seconds"/>.</summary>
    void JobFinished(bool completed, int images, double seconds);

    /// <summary>Queue depth and active generations changed.</summary>
    void Occupancy(int queued, int active);
}
