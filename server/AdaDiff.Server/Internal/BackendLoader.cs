using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Server.Internal;

/// <summary>Loads a model package into its backend.</summary>
internal static class BackendLoader
{
    /// <summary>Loads the package in <paramref name="packageDir"/> on the TorchSharp backend.</summary>
    public static IDenoiserBackend Load(string packageDir, AdaDiffOptions options) =>
        TorchSharpBackend.Load(packageDir, new TorchSharpBackendOptions { Threads = options.Threads });
}
