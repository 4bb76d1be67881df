using System.Diagnostics;
using AdaDiff.Engine;
using AdaDiff.Engine.Scheduling;
using AdaDiff.Grpc.V1;
using AdaDiff.Server.Internal;
using AdaDiff.Server.Metrics;
using AdaDiff.Server.Models;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace AdaDiff.Server.Services;

/// <summary>
/// The <c>adadiff.v1.DiffusionService</c>: validates requests, maps protobuf to engine types and back, and
/// hands generations to the model's <see cref="GenerationScheduler"/>. No tensors or policy live here.
/// </summary>
public sealed class DiffusionService(ModelRegistry registry, IOptions<AdaDiffOptions> options, IHostApplicationLifetime lifetime,
    AdaDiffMetrics metrics, ServerDrain drain, ILogger<DiffusionService> logger)
    : Grpc.V1.DiffusionService.DiffusionServiceBase
{
    private readonly AdaDiffOptions options = options.Value;

    /// <inheritdoc/>
    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        long callStart = Stopwatch.GetTimestamp();
        RequestCounter counter = metrics.UnresolvedRequests;
        StatusCode code = StatusCode.Unknown;
        bool admitted = false;
        try
        {
            switch (drain.TryEnter(options.MaxOpenStreams))
            {
                case StreamAdmission.Draining:
                    ServerLog.GenerateRefusedDraining(logger);
                    throw RpcErrors.Draining();
                case StreamAdmission.TooMany:
                    ServerLog.GenerateRefusedTooManyStreams(logger, options.MaxOpenStreams);
                    throw RpcErrors.TooManyStreams(options.MaxOpenStreams, TimeSpan.FromSeconds(options.RetryAfterSeconds));
                default:
                    admitted = true;
                    break;
            }
            EnsureReady();

            List<BadRequest.Types.FieldViolation> violations = [];
            ServedModel? model = ResolveModel(request.Model, "model", violations, out string requestedName);
            if (model is not null)
            {
                counter = model.Requests;
            }
            ValidatedGenerate? validated = GenerateRequestValidator.Validate(request, model?.Manifest, options, model?.Scheduler.Options.MaxBatchRows ?? 0, violations, model?.Tokenizer);
            if (violations.Count > 0)
            {
                ServerLog.InvalidRequest(logger, nameof(Generate), violations.Count);
                throw RpcErrors.InvalidArgument(violations);
            }
            if (model is null || validated is null)
            {
                throw registry.FindUnavailable(requestedName) is not null ? RpcErrors.ModelUnavailable(requestedName) : RpcErrors.ModelNotFound(requestedName);
            }
            await StreamAsync(model, validated, responseStream, context, callStart).ConfigureAwait(false);
            code = StatusCode.OK;
        }
        catch (RpcException e)
        {
            code = e.StatusCode;
            throw;
        }
        finally
        {
            counter.Add(code);
            if (admitted)
            {
                drain.Exit();
            }
        }
    }

    /// <summary>Queues the generation and streams its events; every way it can end becomes the status it ends with.</summary>
    private async Task StreamAsync(ServedModel model, ValidatedGenerate validated, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context, long callStart)
    {
        // The job stops when the caller goes (cancel, deadline), when the drain period ends first, and whenever the
        // call ends before it did (any error on the way out): no generation runs on for a stream that is gone.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, drain.GraceOver);
        try
        {
            await StreamUntilAsync(model, validated, responseStream, context, callStart, stop.Token).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task StreamUntilAsync(ServedModel model, ValidatedGenerate validated,
        IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context, long callStart, CancellationToken cancellationToken)
    {
        CancellationToken callToken = context.CancellationToken;
        GenerationRequest engineRequest = validated.Request;
        GenerationJob? job;
        try
        {
            job = model.Scheduler.TryEnqueue(engineRequest, cancellationToken);
        }
        catch (ObjectDisposedException)
        {
            throw RpcErrors.ShuttingDown();
        }
        if (job is null)
        {
            ServerLog.QueueFull(logger, model.Name);
            throw RpcErrors.QueueFull(model.Name, TimeSpan.FromSeconds(options.RetryAfterSeconds));
        }
        ServerLog.GenerateStarted(logger, model.Name, engineRequest.NumImages, engineRequest.Steps, engineRequest.Sampler, engineRequest.Exit.Mode);

        ModelManifest manifest = model.Manifest;
        bool completed = false;
        try
        {
            await foreach (GenerationEvent generationEvent in job.Events.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                GenerateResponse response;
                if (generationEvent is StepCompleted step)
                {
                    double elapsed = Stopwatch.GetElapsedTime(callStart).TotalSeconds;
                    response = new GenerateResponse { Step = ProtoMapper.ToStepUpdate(step, manifest, engineRequest.NumImages, validated.LatentDType, elapsed) };
                }
                else if (generationEvent is GenerationCompleted done)
                {
                    double wall = Stopwatch.GetElapsedTime(callStart).TotalSeconds;
                    response = new GenerateResponse { Result = ProtoMapper.ToResult(done, model, engineRequest, validated.Settings, wall) };
                    completed = true;
                    ServerLog.GenerateFinished(logger, model.Name, done.Compute.LayersExecuted, done.Compute.LayersFull, wall);
                }
                else
                {
                    continue;
                }
                await responseStream.WriteAsync(response, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (SlowReaderException)
        {
            // The scheduler ended the job and dropped its unread events; the write that was blocked on this client
            // went through once it read again. (A write is never cancelled for slowness: Kestrel would reset the
            // stream, and the client would not learn why.)
            ServerLog.GenerateSlowReader(logger, model.Name, options.SlowReaderTimeoutSeconds);
            throw RpcErrors.SlowReader(options.MaxUnreadEventsPerStream, options.SlowReaderTimeoutSeconds);
        }
        catch (Exception e) when (e is not RpcException && IsCallerGone(e, callToken))
        {
            ServerLog.GenerateCancelled(logger, model.Name);
            throw CallerGone(context);
        }
        catch (OperationCanceledException) when (drain.GraceOver.IsCancellationRequested)
        {
            ServerLog.GenerateDrainTimedOut(logger, model.Name);
            throw RpcErrors.DrainTimedOut(options.DrainTimeoutSeconds);
        }
        catch (OperationCanceledException)
        {
            // Not the caller: the scheduler is shutting down.
            throw RpcErrors.ShuttingDown();
        }
        catch (Exception e) when (e is not RpcException)
        {
            ServerLog.GenerateFailed(logger, model.Name, e);
            throw RpcErrors.Internal(e, options.EnableDetailedErrors);
        }
        if (!completed)
        {
            if (callToken.IsCancellationRequested)
            {
                ServerLog.GenerateCancelled(logger, model.Name);
                throw CallerGone(context);
            }
            var e = new InvalidOperationException("The generation ended without a result.");
            ServerLog.GenerateFailed(logger, model.Name, e);
            throw RpcErrors.Internal(e, options.EnableDetailedErrors);
        }
    }

    /// <inheritdoc/>
    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        EnsureReady();
        var response = new ListModelsResponse();
        foreach (ServedModel model in registry.Models)
        {
            response.Models.Add(ProtoMapper.ToModelInfo(model));
        }
        foreach (UnavailableModel model in registry.Unavailable)
        {
            response.Models.Add(ProtoMapper.ToModelInfo(model));
        }
        return Task.FromResult(response);
    }

    /// <inheritdoc/>
    public override Task<ModelInfo> GetModel(GetModelRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureReady();
        if (request.Name.Length == 0)
        {
            throw RpcErrors.InvalidArgument("name", "is required: a model name as listed by ListModels");
        }
        List<BadRequest.Types.FieldViolation> violations = [];
        ServedModel? model = ResolveModel(request.Name, "name", violations, out string name);
        if (violations.Count > 0)
        {
            throw RpcErrors.InvalidArgument(violations);
        }
        if (model is null)
        {
            return registry.FindUnavailable(name) is { } unavailable ? Task.FromResult(ProtoMapper.ToModelInfo(unavailable)) : throw RpcErrors.ModelNotFound(name);
        }
        return Task.FromResult(ProtoMapper.ToModelInfo(model));
    }

    /// <summary>
    /// True when the call ended because the caller went away or its deadline passed: the call's token fired,
    /// or the job was cancelled while the server is not stopping (the job's token is linked to the call's).
    /// </summary>
    private bool IsCallerGone(Exception e, CancellationToken callToken) =>
        callToken.IsCancellationRequested
        || (e is OperationCanceledException && !lifetime.ApplicationStopping.IsCancellationRequested && !drain.GraceOver.IsCancellationRequested);

    private static RpcException CallerGone(ServerCallContext context) =>
        context.Deadline <= DateTime.UtcNow ? RpcErrors.DeadlineExceeded() : RpcErrors.Cancelled();

    private void EnsureReady()
    {
        if (!registry.IsReady)
        {
            throw RpcErrors.NotReady();
        }
    }

    /// <summary>
    /// The model a request names (empty: the default). An invalid name adds a violation; a valid unknown
    /// name returns null. The name is only ever a dictionary key, never a path.
    /// </summary>
    private ServedModel? ResolveModel(string name, string field, List<BadRequest.Types.FieldViolation> violations, out string resolvedName)
    {
        resolvedName = name.Length == 0 ? registry.DefaultModel : name;
        if (!AdaDiffOptionsValidator.ModelName().IsMatch(resolvedName))
        {
            violations.Add(new BadRequest.Types.FieldViolation
            {
                Field = field,
                Description = $"must be 1..64 letters, digits, '.', '_' or '-', starting with a letter or digit ({AdaDiffOptions.ModelNamePattern})",
            });
            return null;
        }
        return registry.TryGet(resolvedName, out ServedModel? model) ? model : null;
    }
}
