using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace AdaDiff.Server.Internal;

/// <summary>The gRPC errors of the contract, with their google.rpc.Status details.</summary>
internal static class RpcErrors
{
    /// <summary>INVALID_ARGUMENT with a BadRequest holding one violation per bad field.</summary>
    public static RpcException InvalidArgument(IReadOnlyList<BadRequest.Types.FieldViolation> violations)
    {
        var badRequest = new BadRequest();
        badRequest.FieldViolations.Add(violations);
        string fields = string.Join(", ", violations.Select(v => v.Field));
        return new Google.Rpc.Status
        {
            Code = (int)Code.InvalidArgument,
            Message = $"Invalid request: {fields}",
            Details = { Any.Pack(badRequest) },
        }.ToRpcException();
    }

    /// <summary>INVALID_ARGUMENT for one field.</summary>
    public static RpcException InvalidArgument(string field, string description) =>
        InvalidArgument([new BadRequest.Types.FieldViolation { Field = field, Description = description }]);

    /// <summary>NOT_FOUND for a model name that is not in the repository.</summary>
    public static RpcException ModelNotFound(string model) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.NotFound,
            Message = $"Model '{model}' is not served here; ListModels lists the models.",
            Details = { Any.Pack(new ResourceInfo { ResourceType = "adadiff.v1.Model", ResourceName = model, Description = "not in the model repository" }) },
        }.ToRpcException();

    /// <summary>RESOURCE_EXHAUSTED with RetryInfo when a model's queue is full.</summary>
    public static RpcException QueueFull(string model, TimeSpan retryAfter) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = $"The generation queue of model '{model}' is full; retry later.",
            Details =
            {
                Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }),
                Any.Pack(new QuotaFailure { Violations = { new QuotaFailure.Types.Violation { Subject = $"model:{model}", Description = "generation queue full" } } }),
            },
        }.ToRpcException();

    /// <summary>FAILED_PRECONDITION: the model's package failed to load.</summary>
    public static RpcException ModelUnavailable(string model) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.FailedPrecondition,
            Message = $"Model '{model}' failed to load and is not served; ListModels gives the reason.",
            Details = { Any.Pack(new ResourceInfo { ResourceType = "model", ResourceName = model, Description = "failed to load" }) },
        }.ToRpcException();

    /// <summary>UNAVAILABLE while the models are still loading.</summary>
    public static RpcException NotReady() =>
        new Google.Rpc.Status { Code = (int)Code.Unavailable, Message = "The server is still loading its models; retry shortly." }.ToRpcException();

    /// <summary>RESOURCE_EXHAUSTED: the client left its events unread for too long.</summary>
    public static RpcException SlowReader(int unread, double seconds) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"The client read none of the {unread} events the server holds for a stream for {seconds:0.#} s; the generation was stopped to free its memory. Read the stream as it arrives."),
        }.ToRpcException();

    /// <summary>RESOURCE_EXHAUSTED with RetryInfo: the server already serves its most open streams.</summary>
    public static RpcException TooManyStreams(int max, TimeSpan retryAfter) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The server already serves {max} open Generate streams (finished ones whose results are unread included); retry later."),
            Details =
            {
                Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }),
                Any.Pack(new QuotaFailure { Violations = { new QuotaFailure.Types.Violation { Subject = "server:open-streams", Description = "open Generate streams" } } }),
            },
        }.ToRpcException();

    /// <summary>UNAVAILABLE while the server shuts down.</summary>
    public static RpcException Draining() =>
        new Google.Rpc.Status { Code = (int)Code.Unavailable, Message = "The server is draining before it stops and takes no new generations; retry on another instance." }.ToRpcException();

    /// <summary>UNAVAILABLE: the drain period ended before this generation did.</summary>
    public static RpcException DrainTimedOut(double seconds) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.Unavailable,
            Message = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The server is stopping and its drain period ({seconds:0.#} s) ended before this generation finished; retry on another instance."),
        }.ToRpcException();

    /// <summary>UNAVAILABLE: the server is stopping.</summary>
    public static RpcException ShuttingDown() =>
        new Google.Rpc.Status { Code = (int)Code.Unavailable, Message = "The server is shutting down; retry on another instance." }.ToRpcException();

    /// <summary>INTERNAL; the exception text only with detailed errors on.</summary>
    public static RpcException Internal(Exception exception, bool detailed) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.Internal,
            Message = detailed ? $"Generation failed: {exception.GetType().Name}: {exception.Message}" : "Generation failed; the server log has the details.",
        }.ToRpcException();

    /// <summary>DEADLINE_EXCEEDED after the call's deadline passed.</summary>
    public static RpcException DeadlineExceeded() => new(new global::Grpc.Core.Status(StatusCode.DeadlineExceeded, "The deadline passed; the generation stopped."));

    /// <summary>CANCELLED after the caller gave up.</summary>
    public static RpcException Cancelled() => new(new global::Grpc.Core.Status(StatusCode.Cancelled, "The call was cancelled; the generation stopped."));
}
