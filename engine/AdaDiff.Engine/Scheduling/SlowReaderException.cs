namespace AdaDiff.Engine.Scheduling;

/// <summary>
/// A job was ended because its reader left <see cref="SchedulerOptions.MaxUnreadEvents"/> events unread for longer
/// than <see cref="SchedulerOptions.SlowReaderTimeout"/>.
/// </summary>
public sealed class SlowReaderException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SlowReaderException()
        : base("The reader left the generation's events unread for too long.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SlowReaderException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public SlowReaderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Seconds the job was paused when it was ended.</summary>
    public double PausedSeconds { get; init; }

    /// <summary>Events it held unread.</summary>
    public int UnreadEvents { get; init; }
}
