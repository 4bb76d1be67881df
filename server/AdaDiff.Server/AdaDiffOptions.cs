namespace AdaDiff.Server;

/// <summary>
/// Settings of the AdaDiff server, bound from the <c>AdaDiff</c> configuration section
/// (appsettings.json, environment variables <c>ADADIFF__…</c>, command-line flags <c>--AdaDiff:…=…</c>)
/// and validated at start.
/// </summary>
public sealed class AdaDiffOptions
{
    /// <summary>Configuration section the options bind to.</summary>
    public const string SectionName = "AdaDiff";

    /// <summary>Pattern of a model name (the folder name in the model repository); matched with no trailing newline allowed.</summary>
    public const string ModelNamePattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

    /// <summary>
    /// Folder of model packages (<c>&lt;repository&gt;/&lt;name&gt;/model.json</c>). A relative path is taken
    /// from the current directory. Empty: the <c>models/</c> folder of the source repository, searched
    /// upwards from the content root and from the executable's folder. The folder must exist.
    /// </summary>
    public string? ModelRepository { get; set; }

    /// <summary>Model served when a request names none; must be a folder of the repository. Default "fashion-mnist-uvit".</summary>
    public string DefaultModel { get; set; } = "fashion-mnist-uvit";

    /// <summary>Address both ports bind to (an IP address). Default 0.0.0.0 (every IPv4 interface).</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>Port of the gRPC endpoint (HTTP/2 without TLS), 1..65535. Default 50051.</summary>
    public int GrpcPort { get; set; } = 50051;

    /// <summary>Port of the HTTP/1.1 endpoint serving /metrics, /healthz and /readyz, 1..65535. Default 9464.</summary>
    public int HttpPort { get; set; } = 9464;

    /// <summary>Most images one Generate call may ask for, 1..1024. Default 16.</summary>
    public int MaxImagesPerRequest { get; set; } = 16;

    /// <summary>Most sampling steps one Generate call may ask for, 1..100000 (also capped by the model's training timesteps). Default 1000.</summary>
    public int MaxSteps { get; set; } = 1000;

    /// <summary>Generations that may wait in a model's queue before calls get RESOURCE_EXHAUSTED, 1..100000. Default 64.</summary>
    public int MaxQueuedJobs { get; set; } = 64;

    /// <summary>
    /// Generations a model runs at once (their steps share one batch), 0..1024. Default 0: as many as the rows per pass,
    /// so that only the rows bound them (a generation has at least one row, and one starts when its rows fit beside
    /// the running ones').
    /// </summary>
    public int MaxActiveJobs { get; set; }

    /// <summary>
    /// Most rows (images, doubled by guidance) in one network pass, 0..4096; when set, at least MaxImagesPerRequest.
    /// A request needs all its rows in one pass, so guided requests may have at most half as many images. Default 0:
    /// derived per model at load from measured pass times, at the knee of throughput (the smallest batch reaching 90%
    /// of the best rows per second), at least the rows of the largest request (MaxImagesPerRequest, doubled when the
    /// model has guidance) and at most <see cref="DerivedMaxBatchRowsLimit"/>; the start-up log gives the figures.
    /// </summary>
    public int MaxBatchRows { get; set; }

    /// <summary>Most rows per pass a derived <see cref="MaxBatchRows"/> takes (unless the largest request needs more): 1024.</summary>
    public const int DerivedMaxBatchRowsLimit = 1024;

    /// <summary>
    /// Generations with more steps left than this are long, 1..100000. Default 100 (DDPM's 1000 steps are; DDIM's and
    /// DPM-Solver's 10–50 are not). Long generations together hold at most <see cref="LongJobRows"/> rows, so that a
    /// shorter one never waits for a long one's whole run.
    /// </summary>
    public int LongJobSteps { get; set; } = 100;

    /// <summary>
    /// Most rows of a pass that long generations (<see cref="LongJobSteps"/>) hold together, 0..4096 and at most the rows
    /// per pass; one long generation may exceed it when it is the only one. Default 0: half the rows per pass.
    /// </summary>
    public int LongJobRows { get; set; }

    /// <summary>
    /// Events (step updates) a stream may hold unread before its generation pauses, 1..1000. Default 8. A paused
    /// generation keeps its rows of the pass but leaves the batch until the client reads, so an unread stream holds at
    /// most this many events (8 × 16 images × 3136 B ≈ 400 KB of FLOAT32 latents for the default model) instead of its
    /// whole run.
    /// </summary>
    public int MaxUnreadEventsPerStream { get; set; } = 8;

    /// <summary>
    /// Seconds a generation may stay paused for an unread stream before it is ended with RESOURCE_EXHAUSTED, 1..3600.
    /// Default 60.
    /// </summary>
    public double SlowReaderTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Generate streams open at once, 1..100000, counted until each call ends (queued, running, and finished with its
    /// results unread). Beyond: RESOURCE_EXHAUSTED with RetryInfo. Default 256.
    /// </summary>
    public int MaxOpenStreams { get; set; } = 256;

    /// <summary>Concurrent HTTP/2 streams one connection may open (Kestrel's limit), 1..10000. Default 100.</summary>
    public int MaxStreamsPerConnection { get; set; } = 100;

    /// <summary>Intra-op threads of the backend (process-wide for libtorch), 0..1024; 0 uses every processor. Default 0.</summary>
    public int Threads { get; set; }

    /// <summary>
    /// Backend that runs the models: "onnxruntime" (default: the faster one at batch 1, see docs/benchmarks.md) or
    /// "torchsharp". <see cref="Models"/> overrides it per model.
    /// </summary>
    public string Backend { get; set; } = "onnxruntime";

    /// <summary>Execution provider of the ONNX Runtime backend: "cpu" (default) or "cuda" (GPU build; see docs/gpu.md).</summary>
    public string ExecutionProvider { get; set; } = "cpu";

    /// <summary>When "cuda" cannot load: true runs on the CPU provider and logs a warning; false (default) fails at start.</summary>
    public bool CudaFallbackToCpu { get; set; }

    /// <summary>
    /// When a model's onnx/ export is missing (exports are not committed), was exported from other weights (the trainer
    /// replaced them) or fails its SHA-256 checks: true (default) exports it again in memory at load and logs so; false
    /// fails at start.
    /// </summary>
    public bool ReexportStaleOnnx { get; set; } = true;

    /// <summary>
    /// When a model's ONNX graphs were exported in memory at load: true (default) also writes them into the package's
    /// onnx/ folder (atomically; verified by SHA-256 when read) so the next start reads them; a folder that cannot be
    /// written only logs so. False writes nothing: read-only model repositories (the container images set it).
    /// </summary>
    public bool CacheOnnxExport { get; set; } = true;

    /// <summary>
    /// When a model package other than the default fails to load (its manifest, weights or graphs): false (default)
    /// marks it unavailable (ListModels and /readyz say which and why; calls naming it get FAILED_PRECONDITION) and
    /// serves the others; true stops the start with exit code 1. The default model failing always stops the start.
    /// </summary>
    public bool StrictModelLoading { get; set; }

    /// <summary>Per-model overrides of <see cref="Backend"/> and <see cref="ExecutionProvider"/>, by model name.</summary>
    public Dictionary<string, ModelBackendOptions> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Seconds a client is told to wait (google.rpc.RetryInfo) when a queue is full, 0..3600. Default 1.</summary>
    public double RetryAfterSeconds { get; set; } = 1;

    /// <summary>
    /// Seconds that generations in flight may run after SIGTERM, 0..3600. Default 30. From the signal on, readiness
    /// is false and new calls get UNAVAILABLE; streams still running when the period ends get UNAVAILABLE with a
    /// message and the server exits with code 3 (0 when everything drained). Kubernetes' terminationGracePeriodSeconds
    /// must exceed it (the chart adds its preStop pause and a margin).
    /// </summary>
    public int DrainTimeoutSeconds { get; set; } = 30;

    /// <summary>Bearer-token authentication on both ports (<c>AdaDiff:Auth:TokenFile</c>, …); off by default.</summary>
    public Security.AuthOptions Auth { get; set; } = new();

    /// <summary>TLS on both ports from PEM files (<c>AdaDiff:Tls:CertificateFile</c>, …); off by default.</summary>
    public Security.TlsOptions Tls { get; set; } = new();

    /// <summary>
    /// Size limits of request headers and of request and response messages (<c>AdaDiff:Limits:MaxRequestHeadersBytes</c>,
    /// …), the same on both ports and for gRPC and HTTP/JSON.
    /// </summary>
    public LimitsOptions Limits { get; set; } = new();

    /// <summary>Send exception messages to clients (development only). Default false.</summary>
    public bool EnableDetailedErrors { get; set; }
}
