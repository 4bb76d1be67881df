using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Server.Internal;

/// <summary>Loads a model package into the backend its configuration names.</summary>
internal static class BackendLoader
{
    /// <summary>Backend names a configuration may give.</summary>
    public static readonly string[] Backends = ["onnxruntime", "torchsharp"];

    /// <summary>Execution providers a configuration may give.</summary>
    public static readonly string[] Providers = ["cpu", "cuda"];

    /// <summary>
    /// Loads the package in <paramref name="packageDir"/> on the backend configured for <paramref name="model"/>
    /// (its <see cref="AdaDiffOptions.Models"/> entry, else the server-wide settings); logs where the ONNX graphs
    /// came from and any fallback from CUDA to the CPU.
    /// </summary>
    public static IDenoiserBackend Load(string model, string packageDir, AdaDiffOptions options, ILogger logger)
    {
        options.Models.TryGetValue(model, out ModelBackendOptions? perModel);
        string backend = perModel?.Backend ?? options.Backend;
        string provider = perModel?.ExecutionProvider ?? options.ExecutionProvider;
        if (backend == "torchsharp")
        {
            if (provider != "cpu")
            {
                throw new InvalidOperationException($"model '{model}': the torchsharp backend runs on the CPU only in this build; set its ExecutionProvider to cpu or use onnxruntime.");
            }
            return TorchSharpBackend.Load(packageDir, new TorchSharpBackendOptions { Threads = options.Threads });
        }
        OnnxBackend onnx = OnnxBackend.Load(packageDir, new OnnxBackendOptions
        {
            Threads = options.Threads,
            ExecutionProvider = provider,
            FallBackToCpu = options.CudaFallbackToCpu,
            ReexportWhenStale = options.ReexportStaleOnnx,
        });
        ServerLog.OnnxExportSource(logger, model, onnx.ExportSource);
        if (onnx.FallbackReason is not null)
        {
            ServerLog.CudaFallback(logger, model, onnx.FallbackReason);
        }
        return onnx;
    }
}
