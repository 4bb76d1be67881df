using Google.Rpc;
using Grpc.Core;

namespace AdaDiff.Client;

/// <summary>Reads what went wrong from a failed call's status and its google.rpc.Status details.</summary>
public static class RpcErrors
{
    /// <summary>The field violations of an INVALID_ARGUMENT (field name, description); empty if none were sent.</summary>
    public static IReadOnlyList<(string Field, string Description)> FieldViolations(RpcException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        BadRequest? badRequest = error.GetRpcStatus()?.GetDetail<BadRequest>();
        if (badRequest is null)
        {
            return [];
        }
        var list = new List<(string, string)>(badRequest.FieldViolations.Count);
        foreach (BadRequest.Types.FieldViolation v in badRequest.FieldViolations)
        {
            list.Add((v.Field, v.Description));
        }
        return list;
    }

    /// <summary>How long the server asked to wait before retrying (RESOURCE_EXHAUSTED), or null.</summary>
    public static TimeSpan? RetryDelay(RpcException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        RetryInfo? info = error.GetRpcStatus()?.GetDetail<RetryInfo>();
        return info?.RetryDelay?.ToTimeSpan();
    }

    /// <summary>True for codes a later attempt may cure (UNAVAILABLE, RESOURCE_EXHAUSTED); never INVALID_ARGUMENT.</summary>
    public static bool IsRetryable(StatusCode code) => Array.IndexOf(Internal.ChannelFactory.RetryableCodes, code) >= 0;
}
