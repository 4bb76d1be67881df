namespace AdaDiff.Engine.Scheduling;

/// <summary>One measured network pass: how many rows it carried and how long it took.</summary>
/// <param name="Rows">Rows in the pass, ≥ 1.</param>
/// <param name="Seconds">Wall time of the pass, &gt; 0.</param>
public readonly record struct PassTiming(int Rows, double Seconds)
{
    /// <summary>Throughput of the pass: rows per second.</summary>
    public double RowsPerSecond => Rows / Seconds;
}
