using AdaDiff.Server.Backends;
using AdaDiff.Server.Backends.TorchSharp;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the TorchSharp backend (compiled in when <c>AdaDiffBackends</c> names <c>torchsharp</c>).</summary>
public static class TorchSharpServiceCollectionExtensions
{
    /// <summary>Lets models load on TorchSharp (<c>AdaDiff:Backend=torchsharp</c>); brings libtorch (≈474 MB) into the build.</summary>
    public static IServiceCollection AddTorchSharpBackend(this IServiceCollection services) =>
        services.AddSingleton<IModelBackendFactory, TorchSharpBackendFactory>();
}
