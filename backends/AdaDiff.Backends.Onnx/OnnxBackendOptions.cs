using Microsoft.ML.OnnxRuntime;

namespace AdaDiff.Backends.Onnx;

/// <summary>Settings of the ONNX Runtime backend.</summary>
public sealed class OnnxBackendOptions
{
    /// <summary>Execution provider: "cpu" (default) or "cuda" (needs the GPU build, CUDA 13 and cuDNN 9).</summary>
    public string ExecutionProvider { get; set; } = "cpu";

    /// <summary>
    /// When "cuda" is asked for but cannot load: true runs on the CPU provider instead (the backend's
    /// <see cref="OnnxBackend.FallbackReason"/> says why), false (default) fails with the loader's message.
    /// </summary>
    public bool FallBackToCpu { get; set; }

    /// <summary>CUDA device ordinal. Default 0.</summary>
    public int CudaDeviceId { get; set; }

    /// <summary>
    /// Intra-op threads, 0 or less = <see cref="Environment.ProcessorCount"/>. ONNX Runtime's thread pool is
    /// process-wide (one pool shared by every stage's session, so idle sessions spin no threads): the first
    /// backend created in a process sets its size.
    /// </summary>
    public int Threads { get; set; }

    /// <summary>
    /// What to do when the package's <c>onnx/</c> export cannot be used: missing (exports are not committed), stale
    /// (exported from other weights than the package's current <c>weights.safetensors</c>: a trainer replaced them) or
    /// altered (a graph whose bytes do not match the SHA-256 its manifest records, an invalid manifest): true (default)
    /// exports the stages again in memory from the weights just read, and never runs the rejected graphs; false fails
    /// with a message naming the file and the check it failed.
    /// </summary>
    public bool ReexportWhenStale { get; set; } = true;

    /// <summary>
    /// Whether an export made in memory at load is written into the package's <c>onnx/</c> folder, so that the next
    /// load reads it instead of exporting again (default true). Written atomically (a staging folder beside it renamed
    /// into place), so processes starting at once never see half an export; a folder that cannot be written is not an
    /// error: the backend runs from memory and <see cref="OnnxBackend.ExportSource"/> says why nothing was cached.
    /// Turn it off where the model repository is read-only by design (container images, read-only volumes).
    /// </summary>
    public bool CacheExport { get; set; } = true;

    /// <summary>Check the weights file's SHA-256 against model.json when it records one (default true).</summary>
    public bool VerifySha256 { get; set; } = true;

    /// <summary>
    /// Run several stages in one ONNX Runtime call where a pass allows (default true): embed with the layers before
    /// any exit, runs of layers, a layer with its UEM, the whole network. The fused graphs are built from the
    /// weights at load and give every row the same bytes as the per-stage graphs; false runs one stage a call, as
    /// the backend did before (kept to measure the two side by side).
    /// </summary>
    public bool FusedStages { get; set; } = true;

    /// <summary>
    /// One native copy of the large weights for every session (ONNX Runtime's shared initializers) and one
    /// container of their pre-packed forms (default true); false lets each session hold its own.
    /// </summary>
    public bool ShareWeights { get; set; } = true;

    /// <summary>
    /// One CPU arena for the activations of every session (the environment's allocator) instead of one per session,
    /// each holding the largest batch it ran (default true).
    /// </summary>
    public bool SharedArena { get; set; } = true;

    /// <summary>ONNX Runtime's graph optimisation level (default: all).</summary>
    public GraphOptimizationLevel OptimizationLevel { get; set; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>
    /// ONNX Runtime's memory pattern planning (default false). It plans the buffers of a graph per input shape, and a
    /// batch's shape changes with every exit and every tick; measured here it held about 26 MB more after passes of 32
    /// rows and did not change images per second (docs/experiments/ort-session-options.md).
    /// </summary>
    public bool MemoryPattern { get; set; }

    /// <summary>
    /// Whether the intra-op threads spin waiting for work (default false). Applies to the process-wide pool, which
    /// the first backend of a process creates.
    /// </summary>
    public bool SpinThreads { get; set; }

    /// <summary>
    /// Passes of at most this many rows run every operator on the calling thread, in a second set of sessions that
    /// shares the weights, instead of on the intra-op pool (default 4; 0 turns it off; no effect with one thread or on
    /// CUDA). A small pass's operators last microseconds, too short to pay for waking the pool's workers: measured here,
    /// one image with guidance (2 rows) ran 1.4–1.5× faster on one thread, 16 images (32 rows) 0.8× as fast
    /// (docs/experiments/ort-session-options.md). Every row gets the same bytes either way (the kernels split work by
    /// output, not by the sums inside it; the conformance suite checks it).
    /// </summary>
    public int SingleThreadRows { get; set; } = 4;

    /// <summary>Whether kernels pre-pack their constant weights at load (default true, as ONNX Runtime's own default).</summary>
    public bool Prepacking { get; set; } = true;
}
