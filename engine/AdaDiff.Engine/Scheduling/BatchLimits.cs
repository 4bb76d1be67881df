namespace AdaDiff.Engine.Scheduling;

/// <summary>
/// Scheduler limits chosen by <see cref="BatchSizing.Choose"/> from measured pass times, with the figures that led
/// to them (for the start-up log).
/// </summary>
/// <param name="MaxBatchRows">Rows per network pass: <paramref name="KneeRows"/> within the bounds given.</param>
/// <param name="MaxActiveJobs">
/// Generations sampled at once: <paramref name="MaxBatchRows"/>, since a generation has at least one row and the
/// scheduler admits by rows; the count never binds before the rows do.
/// </param>
/// <param name="KneeRows">The smallest measured batch whose rows per second reach the knee fraction of the best.</param>
/// <param name="KneeRowsPerSecond">Rows per second measured at <paramref name="KneeRows"/>.</param>
/// <param name="BestRows">The measured batch with the most rows per second.</param>
/// <param name="BestRowsPerSecond">Rows per second measured at <paramref name="BestRows"/>.</param>
/// <param name="KneeFraction">Fraction of the best throughput the knee had to reach.</param>
public sealed record BatchLimits(
    int MaxBatchRows,
    int MaxActiveJobs,
    int KneeRows,
    double KneeRowsPerSecond,
    int BestRows,
    double BestRowsPerSecond,
    double KneeFraction);
