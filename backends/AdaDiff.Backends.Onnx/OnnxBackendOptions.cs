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
    /// What to do when <c>onnx/manifest.json</c> is missing or was exported from other weights than the
    /// package's current <c>weights.safetensors</c> (a trainer replaced them): true (default) exports the
    /// stages again in memory from the weights just read; false fails with a message naming both hashes.
    /// </summary>
    public bool ReexportWhenStale { get; set; } = true;

    /// <summary>Check the weights file's SHA-256 against model.json when it records one (default true).</summary>
    public bool VerifySha256 { get; set; } = true;
}
