namespace AdaDiff.Server;

/// <summary>Backend settings of one model (<c>AdaDiff:Models:&lt;name&gt;</c>); unset values take the server-wide ones.</summary>
public sealed class ModelBackendOptions
{
    /// <summary>"onnxruntime" or "torchsharp"; null = <see cref="AdaDiffOptions.Backend"/>.</summary>
    public string? Backend { get; set; }

    /// <summary>"cpu" or "cuda" (ONNX Runtime only); null = <see cref="AdaDiffOptions.ExecutionProvider"/>.</summary>
    public string? ExecutionProvider { get; set; }
}
