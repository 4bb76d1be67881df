namespace AdaDiff.Engine.Tests;

/// <summary>Keeps what the scheduler reports (thread-safe counters).</summary>
internal sealed class RecordingObserver : IGenerationObserver
{
    private int maxRows;
    private int passes;
    private int imageSteps;
    private int jobSteps;
    private int started;
    private int completed;
    private int abandoned;
    private long rowLayers;

    public int MaxRows => Volatile.Read(ref maxRows);

    public int Passes => Volatile.Read(ref passes);

    public int ImageSteps => Volatile.Read(ref imageSteps);

    public int JobSteps => Volatile.Read(ref jobSteps);

    public int Started => Volatile.Read(ref started);

    public int Completed => Volatile.Read(ref completed);

    public int Abandoned => Volatile.Read(ref abandoned);

    public long RowLayers => Interlocked.Read(ref rowLayers);

    public void NetworkPass(int rows, long rowLayers, double seconds)
    {
        Interlocked.Increment(ref passes);
        Interlocked.Add(ref this.rowLayers, rowLayers);
        int current;
        while (rows > (current = Volatile.Read(ref maxRows)) && Interlocked.CompareExchange(ref maxRows, rows, current) != current)
        {
        }
    }

    public void ImageStep(int exitLayer, int depth, int timestep, int timesteps)
    {
        Assert.InRange(exitLayer, 1, depth);
        Assert.InRange(timestep, 0, timesteps - 1);
        Interlocked.Increment(ref imageSteps);
    }

    public void JobStep(ComputeTotals compute, double stepSeconds, double secondsPerLayer, int rowsPerImage)
    {
        Assert.True(stepSeconds >= 0 && secondsPerLayer >= 0);
        Interlocked.Increment(ref jobSteps);
    }

    public void JobStarted(double queueSeconds, double firstStepSeconds)
    {
        Assert.True(firstStepSeconds >= queueSeconds);
        Interlocked.Increment(ref started);
    }

    public void JobFinished(bool completed, int images, double seconds) =>
        Interlocked.Increment(ref completed ? ref this.completed : ref abandoned);

    public void Occupancy(int queued, int active)
    {
        Assert.True(queued >= 0 && active >= 0);
    }
}
