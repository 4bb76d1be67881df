namespace AdaDiff.Backends.TorchSharp;

/// <summary>Settings of the TorchSharp backend.</summary>
public sealed class TorchSharpBackendOptions
{
    /// <summary>
    /// Intra-op threads for libtorch (torch.set_num_threads, process-wide); 0 or less means
    /// <see cref="Environment.ProcessorCount"/>.
    /// </summary>
    public int Threads { get; set; }

    /// <summary>Check the weights file's SHA-256 against the manifest when it records one (default true).</summary>
    public bool VerifySha256 { get; set; } = true;
}
