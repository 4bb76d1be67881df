using AdaDiff.Server.Backends;
using AdaDiff.Server.Backends.OnnxRuntime;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the ONNX Runtime backend (compiled in when <c>AdaDiffBackends</c> names <c>onnxruntime</c>).</summary>
public static class OnnxRuntimeServiceCollectionExtensions
{
    /// <summary>Lets models load on ONNX Runtime (<c>AdaDiff:Backend=onnxruntime</c>).</summary>
    public static IServiceCollection AddOnnxRuntimeBackend(this IServiceCollection services) =>
        services.AddSingleton<IModelBackendFactory, OnnxRuntimeBackendFactory>();
}
