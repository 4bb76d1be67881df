namespace AdaDiff.Server.Internal;

/// <summary>Log messages of the request and response limits (events 230–239).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(230, LogLevel.Information, "Request to {Path} refused: {Reason}")]
    public static partial void RequestOverLimit(ILogger logger, string path, string reason);

    [LoggerMessage(231, LogLevel.Debug, "Call to {Method} refused before it ran: {Reason}")]
    public static partial void RequestBodyRejected(ILogger logger, string method, string reason);

    [LoggerMessage(232, LogLevel.Information, "Call to {Method} ended: {Reason}")]
    public static partial void ResponseOverLimit(ILogger logger, string method, string reason);
}
