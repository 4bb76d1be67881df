namespace AdaDiff.Server.Internal;

/// <summary>Every log message of the server, source-generated, with fixed event ids (1xx models, 2xx calls).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(100, LogLevel.Information, "Loading models from {Repository} (default {DefaultModel})")]
    public static partial void LoadingModels(ILogger logger, string repository, string defaultModel);

    [LoggerMessage(101, LogLevel.Information, "Loaded model {Model}: backend {Backend} on {Provider}, depth {Depth}, {Height}x{Width}x{Channels}, in {Seconds:F2} s")]
    public static partial void ModelLoaded(ILogger logger, string model, string backend, string provider, int depth, int height, int width, int channels, double seconds);

    [LoggerMessage(110, LogLevel.Warning, "Model {Model}: ONNX Runtime runs on the CPU provider instead of CUDA: {Reason}")]
    public static partial void CudaFallback(ILogger logger, string model, string reason);

    [LoggerMessage(111, LogLevel.Information, "Model {Model}: ONNX graphs from {Source}")]
    public static partial void OnnxExportSource(ILogger logger, string model, string source);

    [LoggerMessage(112, LogLevel.Information, "Model {Model}: full-depth passes measured at {Timings}")]
    public static partial void PassTimesMeasured(ILogger logger, string model, string timings);

    [LoggerMessage(113, LogLevel.Information, "Model {Model}: {MaxBatchRows} rows per pass (derived: throughput knee at {KneeRows} rows, {KneeRowsPerSecond:F0} rows/s, at least {KneeFraction:P0} of the best {BestRowsPerSecond:F0} rows/s at {BestRows} rows; bounds {MinRows}..{MaxRows}, the largest request needing {MinRows}), {MaxActiveJobs} active generations ({ActiveSource}); set AdaDiff:MaxBatchRows and AdaDiff:MaxActiveJobs to override")]
    public static partial void BatchLimitsDerived(ILogger logger, string model, int maxBatchRows, int kneeRows, double kneeRowsPerSecond, double kneeFraction, double bestRowsPerSecond, int bestRows, int minRows, int maxRows, int maxActiveJobs, string activeSource);

    [LoggerMessage(114, LogLevel.Information, "Model {Model}: {MaxBatchRows} rows per pass (configured), {MaxActiveJobs} active generations ({ActiveSource})")]
    public static partial void BatchLimitsConfigured(ILogger logger, string model, int maxBatchRows, int maxActiveJobs, string activeSource);

    [LoggerMessage(102, LogLevel.Warning, "Skipping {Folder} in the model repository: {Reason}")]
    public static partial void ModelFolderSkipped(ILogger logger, string folder, string reason);

    [LoggerMessage(105, LogLevel.Error, "Model {Model} is unavailable and will not be served: {Reason}")]
    public static partial void ModelUnavailable(ILogger logger, string model, string reason);

    [LoggerMessage(103, LogLevel.Information, "All {Count} models loaded; ready")]
    public static partial void ModelsReady(ILogger logger, int count);

    [LoggerMessage(104, LogLevel.Critical, "Loading the models failed; stopping")]
    public static partial void ModelLoadFailed(ILogger logger, Exception exception);

    [LoggerMessage(120, LogLevel.Information, "Draining: {InFlight} generations in flight may run for up to {Seconds} s; new calls get UNAVAILABLE")]
    public static partial void DrainStarted(ILogger logger, int inFlight, double seconds);

    [LoggerMessage(121, LogLevel.Information, "Drained: every generation in flight finished")]
    public static partial void Drained(ILogger logger);

    [LoggerMessage(122, LogLevel.Warning, "The drain period of {Seconds} s ended; {Remaining} generations still running were ended with UNAVAILABLE")]
    public static partial void DrainTimedOut(ILogger logger, double seconds, int remaining);

    [LoggerMessage(200, LogLevel.Debug, "Generate: model {Model}, {Images} images, {Steps} steps of {Sampler}, exit {ExitMode}")]
    public static partial void GenerateStarted(ILogger logger, string model, int images, int steps, AdaDiff.Engine.SamplerKind sampler, AdaDiff.Engine.ExitMode exitMode);

    [LoggerMessage(201, LogLevel.Debug, "Generate finished: model {Model}, {LayersExecuted}/{LayersFull} layers, {Seconds:F3} s")]
    public static partial void GenerateFinished(ILogger logger, string model, long layersExecuted, long layersFull, double seconds);

    [LoggerMessage(202, LogLevel.Information, "Generate on model {Model} stopped: the caller cancelled or its deadline passed")]
    public static partial void GenerateCancelled(ILogger logger, string model);

    [LoggerMessage(203, LogLevel.Warning, "Generate on model {Model} rejected: its queue is full")]
    public static partial void QueueFull(ILogger logger, string model);

    [LoggerMessage(204, LogLevel.Error, "Generate on model {Model} failed")]
    public static partial void GenerateFailed(ILogger logger, string model, Exception exception);

    [LoggerMessage(206, LogLevel.Information, "Generate on model {Model} ended: the server's drain period ended first")]
    public static partial void GenerateDrainTimedOut(ILogger logger, string model);

    [LoggerMessage(207, LogLevel.Information, "Generate refused: the server is draining")]
    public static partial void GenerateRefusedDraining(ILogger logger);

    [LoggerMessage(208, LogLevel.Warning, "Generate on model {Model} stopped: the client read nothing for {Seconds} s")]
    public static partial void GenerateSlowReader(ILogger logger, string model, double seconds);

    [LoggerMessage(209, LogLevel.Warning, "Generate refused: {Max} streams are open")]
    public static partial void GenerateRefusedTooManyStreams(ILogger logger, int max);

    [LoggerMessage(205, LogLevel.Debug, "Invalid request to {Method}: {Violations} field violations")]
    public static partial void InvalidRequest(ILogger logger, string method, int violations);
}
