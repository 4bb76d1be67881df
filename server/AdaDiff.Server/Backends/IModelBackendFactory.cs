using AdaDiff.Engine.Backends;

namespace AdaDiff.Server.Backends;

/// <summary>
/// Loads model packages onto one backend. Each backend compiled into the server registers one through its own
/// extension method (<c>AddOnnxRuntimeBackend</c>, <c>AddTorchSharpBackend</c>); the build property
/// <c>AdaDiffBackends</c> chooses which are compiled in.
/// </summary>
public interface IModelBackendFactory
{
    /// <summary>The name a configuration gives (<c>AdaDiff:Backend</c>): "onnxruntime", "torchsharp".</summary>
    string Name { get; }

    /// <summary>Loads the package in <paramref name="packageDir"/> for <paramref name="model"/> on <paramref name="executionProvider"/>.</summary>
    IDenoiserBackend Load(string model, string packageDir, string executionProvider, AdaDiffOptions options, ILogger logger);
}
