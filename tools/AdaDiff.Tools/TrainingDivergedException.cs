namespace AdaDiff.Tools;

/// <summary>
/// A training step's loss was not finite: the run stops before anything is written, so the last checkpoint and
/// package stay as they were (exit code 1, the message says from which step to resume).
/// </summary>
internal sealed class TrainingDivergedException : Exception
{
    /// <summary>A divergence without a message.</summary>
    public TrainingDivergedException()
    {
    }

    /// <summary>A divergence described by <paramref name="message"/>.</summary>
    public TrainingDivergedException(string message) : base(message)
    {
    }

    /// <summary>A divergence found through <paramref name="innerException"/>.</summary>
    public TrainingDivergedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
