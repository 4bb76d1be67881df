using AdaDiff.Backends.Onnx;
using AdaDiff.Engine.Backends;
using AdaDiff.Server.Internal;

namespace AdaDiff.Server.Backends.OnnxRuntime;

/// <summary>Loads packages on ONNX Runtime; logs where the graphs came from and any fallback from CUDA to the CPU.</summary>
internal sealed class OnnxRuntimeBackendFactory : IModelBackendFactory
{
    public string Name => "onnxruntime";

    public IDenoiserBackend Load(string model, string packageDir, string executionProvider, AdaDiffOptions options, ILogger logger)
    {
        OnnxBackend onnx = OnnxBackend.Load(packageDir, new OnnxBackendOptions
        {
            Threads = options.Threads,
            ExecutionProvider = executionProvider,
            FallBackToCpu = options.CudaFallbackToCpu,
            ReexportWhenStale = options.ReexportStaleOnnx,
            CacheExport = options.CacheOnnxExport,
        });
        ServerLog.OnnxExportSource(logger, model, onnx.ExportSource);
        if (onnx.FallbackReason is not null)
        {
            ServerLog.CudaFallback(logger, model, onnx.FallbackReason);
        }
        return onnx;
    }
}
