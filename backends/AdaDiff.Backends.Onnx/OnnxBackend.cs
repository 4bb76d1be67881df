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
    /// an export read alone (<see cref="OnnxExport.Read"/>) runs one stage a call.
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
        SessionOptions sessionOptions = CreateSessionOptions(options, threads, manifest.Name, out string provider, out string? fallbackReason);
        ExecutionProvider = provider;
        FallbackReason = fallbackReason;
        sessions = new StageSessions(manifest, export, sessionOptions, options); // owns the session options
    }

    /// <inheritdoc/>
    public string Name => "onnxruntime";

    /// <inheritdoc/>
    public string ExecutionProvider { get; }

    /// <summary>Why CUDA was asked for but the CPU provider runs; null when the provider asked for runs.</summary>
    public string? FallbackReason { get; }

    /// <summary>Where the graphs came from: the package's <c>onnx/</c> folder, or exported in memory and why.</summary>
    public string ExportSource { get; }

    /// <inheritdoc/>
    public ModelManifest Manifest { get; }

    /// <summary>True when passes run in fused stages (see <see cref="OnnxBackendOptions.FusedStages"/>).</summary>
    public bool FusedStages => sessions.Fuses;

    /// <summary>ONNX Runtime sessions alive: one per stage of the export, and the fused ones created so far.</summary>
    public int SessionCount => sessions.Count;

    /// <summary>
    /// Loads the package in <paramref name="packageDir"/>: reads model.json and the weights (checking their
    /// SHA-256), then the graphs of <c>onnx/</c>, whose manifest must name the same weights hash. A missing or
    /// stale export is exported again in memory, or is an <see cref="InvalidDataException"/> when
    /// <see cref="OnnxBackendOptions.ReexportWhenStale"/> is false.
    /// </summary>
    public static OnnxBackend Load(string packageDir, OnnxBackendOptions? options = null)
    {
        options ??= new OnnxBackendOptions();
        PackageWeights weights = PackageWeights.Read(packageDir, options.VerifySha256);
        OnnxExport? export = OnnxExport.Read(packageDir);
        string onnxManifest = Path.Combine(packageDir, OnnxExport.FolderName, OnnxExportManifest.FileName);
        string? stale = export is null
            ? $"{onnxManifest} not found"
            : !string.Equals(export.Manifest.WeightsSha256, weights.Sha256, StringComparison.OrdinalIgnoreCase)
                ? $"{onnxManifest} was exported from weights {export.Manifest.WeightsSha256[..12]}… but {weights.Path} is {weights.Sha256[..12]}…"
                : null;
        string source;
        if (stale is null)
        {
            source = $"{Path.Combine(packageDir, OnnxExport.FolderName)} (weights {weights.Sha256[..12]}…)";
        }
        else if (options.ReexportWhenStale)
        {
            export = OnnxExport.Create(weights.Manifest, weights.Bytes, weights.Path);
            source = $"exported in memory from {weights.Path} ({stale})";
        }
        else
        {
            throw new InvalidDataException(
                $"{stale}: the ONNX export is stale; run 'adadiff-tools export-onnx --package {packageDir}' or allow re-export at load (ReexportWhenStale)");
        }
        return new OnnxBackend(weights.Manifest, export!.Builder is null ? export.WithWeights(weights) : export, options, source);
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
        int rows = BatchInput.Validate(Manifest, latents, timesteps, conditions);
        BatchInput.ValidateDepth(layers, 0, Manifest.Depth);
        BatchInput.ValidateDestination(destination, rows, Manifest.ImageSize);
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

    private static SessionOptions CreateSessionOptions(OnnxBackendOptions options, int threads, string model, out string provider, out string? fallbackReason)
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
            OrtThreads.Apply(sessionOptions, threads, options.SpinThreads, options.SharedArena);
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
