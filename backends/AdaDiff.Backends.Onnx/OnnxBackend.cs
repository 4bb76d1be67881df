using AdaDiff.Backends.Onnx.Internal;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using Microsoft.ML.OnnxRuntime;
using AdaDiff.Packaging;

namespace AdaDiff.Backends.Onnx;

/// <summary>
/// Runs a U-ViT with exits on ONNX Runtime from the per-stage graphs of <see cref="OnnxExport"/>: one
/// <see cref="InferenceSession"/> per stage, created once, and fused graphs of several stages built from the same
/// weights at load (<see cref="OnnxBackendOptions.FusedStages"/>), so that a pass takes few calls; batches keep their
/// tensors in <see cref="OrtValue"/>s between calls. A backend may run several batches, one thread per batch at a time.
/// </summary>
public sealed class OnnxBackend : IDenoiserBackend
{
    private readonly StageSessions sessions;
    private bool disposed;

    /// <summary>
    /// Creates the sessions of <paramref name="export"/> for <paramref name="manifest"/>'s model. The fused stages are
    /// built from the weights an export made by <see cref="OnnxExport.Create"/> or loaded by <see cref="Load"/> carries;
    /// an export read alone (<see cref="OnnxExport.Read(string)"/>) runs one stage a call.
    /// </summary>
    /// <exception cref="InvalidOperationException">CUDA was asked for, cannot load, and falling back is not allowed.</exception>
    public OnnxBackend(ModelManifest manifest, OnnxExport export, OnnxBackendOptions? options = null, string exportSource = "in memory")
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(export);
        options ??= new OnnxBackendOptions();
        Manifest = manifest;
        ExportSource = exportSource;
        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        if (options.SingleThreadRows < 0)
        {
            throw new ArgumentException($"model '{manifest.Name}': SingleThreadRows is {options.SingleThreadRows}; give 0 (off) or more rows", nameof(options));
        }
        SessionOptions sessionOptions = CreateSessionOptions(options, threads, manifest.Name, singleThread: false, out string provider, out string? fallbackReason);
        SessionOptions? singleThreadOptions = null;
        try
        {
            // On the CPU provider only, and only where the pool has threads to spare a small pass.
            if (provider == "cpu" && threads > 1 && options.SingleThreadRows > 0)
            {
                #pragma warning disable CA2000 // StageSessions owns and disposes both session options
                singleThreadOptions = CreateSessionOptions(options, threads, manifest.Name, singleThread: true, out _, out _);
                #pragma warning restore CA2000
            }
        }
        catch
        {
            sessionOptions.Dispose();
            throw;
        }
        ExecutionProvider = provider;
        FallbackReason = fallbackReason;
        sessions = new StageSessions(manifest, export, sessionOptions, singleThreadOptions, options); // owns the session options
    }

    /// <inheritdoc/>
    public string Name => "onnxruntime";

    /// <inheritdoc/>
    public string ExecutionProvider { get; }

    /// <summary>Why CUDA was asked for but the CPU provider runs; null when the provider asked for runs.</summary>
    public string? FallbackReason { get; }

    /// <summary>
    /// Where the graphs came from: "read from" the package's <c>onnx/</c> folder, or "exported in memory" and why
    /// (no export, a stale one, one rejected by a check), then whether the export was cached in <c>onnx/</c>.
    /// </summary>
    public string ExportSource { get; private set; }

    /// <inheritdoc/>
    public ModelManifest Manifest { get; }

    /// <summary>True when passes run in fused stages (see <see cref="OnnxBackendOptions.FusedStages"/>).</summary>
    public bool FusedStages => sessions.Fuses;

    /// <summary>Passes of at most this many rows run on the calling thread alone; 0 when every pass uses the intra-op pool.</summary>
    public int SingleThreadRows => sessions.SingleThreadRows;

    /// <summary>ONNX Runtime sessions alive: one per stage of the export, and the fused ones created so far.</summary>
    public int SessionCount => sessions.Count;

    /// <summary>
    /// Loads the package in <paramref name="packageDir"/>: reads model.json and the weights (checking their SHA-256),
    /// then the graphs of its <c>onnx/</c> folder, verified before any is used (<see cref="OnnxExport.Read(string, PackageWeights)"/>:
    /// the manifest names these weights' SHA-256 and the model's stages, every graph matches its SHA-256). An export that
    /// is missing, stale or fails a check is never run: it is exported again in memory from the weights (or is an
    /// <see cref="InvalidDataException"/> when <see cref="OnnxBackendOptions.ReexportWhenStale"/> is false) and, with
    /// <see cref="OnnxBackendOptions.CacheExport"/>, written into <c>onnx/</c> once ONNX Runtime has opened every graph,
    /// so the next load reads it. <see cref="ExportSource"/> says which of these happened and why.
    /// </summary>
    public static OnnxBackend Load(string packageDir, OnnxBackendOptions? options = null)
    {
        options ??= new OnnxBackendOptions();
        PackageWeights weights = PackageWeights.Read(packageDir, options.VerifySha256);
        string folder = Path.Combine(packageDir, OnnxExport.FolderName);
        (OnnxExport? cached, string? unusable) = ReadExport(packageDir, weights);
        if (cached is not null)
        {
            return new OnnxBackend(weights.Manifest, cached, options,
                $"read from {folder} (weights {weights.Sha256[..12]}…; every graph matched its SHA-256)");
        }
        if (!options.ReexportWhenStale)
        {
            throw new InvalidDataException(
                $"{unusable}: the ONNX export cannot be used; run 'adadiff-tools export-onnx --package {packageDir}' or allow re-export at load (ReexportWhenStale)");
        }
        OnnxExport export = OnnxExport.Create(weights.Manifest, weights.Bytes, weights.Path);
        string source = $"exported in memory from {weights.Path} ({unusable})";
        var backend = new OnnxBackend(weights.Manifest, export, options, source);
        try
        {
            // After the sessions: only graphs that ONNX Runtime has opened are cached.
            backend.ExportSource = $"{source}; {Cache(export, packageDir, options)}";
            return backend;
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="export"/> into the package's <c>onnx/</c> when allowed; says what happened.</summary>
    private static string Cache(OnnxExport export, string packageDir, OnnxBackendOptions options)
    {
        string folder = Path.Combine(packageDir, OnnxExport.FolderName);
        if (!options.CacheExport)
        {
            return "not cached (CacheExport is off)";
        }
        try
        {
            export.Write(packageDir);
            return $"cached in {folder}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"not cached, {folder} cannot be written: {e.Message}";
        }
    }

    /// <summary>The verified export of the package, or null and why it cannot be used (missing, stale, altered).</summary>
    private static (OnnxExport? Export, string? Unusable) ReadExport(string packageDir, PackageWeights weights)
    {
        try
        {
            OnnxExport? export = OnnxExport.Read(packageDir, weights);
            return export is not null
                ? (export, null)
                : (null, $"{Path.Combine(packageDir, OnnxExport.FolderName, OnnxExportManifest.FileName)} not found");
        }
        catch (InvalidDataException e)
        {
            return (null, $"rejected: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"rejected, cannot be read: {e.Message}");
        }
    }

    /// <inheritdoc/>
    public IDenoiserBatch Begin(ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> conditions)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        BatchInput.Validate(Manifest, latents, timesteps, conditions);
        return OnnxBatch.Start(sessions, Manifest, latents, timesteps, conditions);
    }

    /// <inheritdoc/>
    public void PredictAtDepth(ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> conditions, int layers, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        BatchInput.ValidatePredictAtDepth(Manifest, latents, timesteps, conditions, layers, destination);
        OnnxBatch.PredictAtDepth(sessions, Manifest, latents, timesteps, conditions, layers, destination);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            sessions.Dispose();
        }
    }

    private static SessionOptions CreateSessionOptions(OnnxBackendOptions options, int threads, string model, bool singleThread, out string provider, out string? fallbackReason)
    {
        OrtThreads.CreateEnvironment(threads, options.SpinThreads); // before any SessionOptions, which would create a default environment
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = options.OptimizationLevel,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            EnableMemoryPattern = options.MemoryPattern,
        };
        try
        {
            if (singleThread)
            {
                OrtThreads.ApplySingleThread(sessionOptions, threads, options.SpinThreads, options.SharedArena);
            }
            else
            {
                OrtThreads.Apply(sessionOptions, threads, options.SpinThreads, options.SharedArena);
            }
            if (!options.Prepacking)
            {
                sessionOptions.AddSessionConfigEntry("session.disable_prepacking", "1");
            }
            fallbackReason = null;
            provider = options.ExecutionProvider.Trim().ToLowerInvariant();
            switch (provider)
            {
                case "cpu":
                    break;
                case "cuda":
                    try
                    {
                        sessionOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
                    }
                    catch (OnnxRuntimeException e)
                    {
                        if (!options.FallBackToCpu)
                        {
                            throw new InvalidOperationException(
                                $"model '{model}': ONNX Runtime's CUDA execution provider cannot load ({e.Message.Trim()}). It needs the GPU build " +
                                "(-p:AdaDiffGpu=true), CUDA 13 and cuDNN 9; set the execution provider to cpu, or allow the fallback to CPU.", e);
                        }
                        fallbackReason = $"CUDA execution provider cannot load: {e.Message.Trim()}";
                        provider = "cpu";
                    }
                    break;
                default:
                    throw new ArgumentException($"model '{model}': execution provider '{options.ExecutionProvider}' is not one of cpu, cuda", nameof(options));
            }
            return sessionOptions;
        }
        catch
        {
            sessionOptions.Dispose();
            throw;
        }
    }
}
