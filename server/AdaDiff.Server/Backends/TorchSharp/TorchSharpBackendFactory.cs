using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Server.Backends.TorchSharp;

/// <summary>Loads packages on TorchSharp (libtorch, CPU only in this build).</summary>
internal sealed class TorchSharpBackendFactory : IModelBackendFactory
{
    public string Name => "torchsharp";

    public IDenoiserBackend Load(string model, string packageDir, string executionProvider, AdaDiffOptions options, ILogger logger)
    {
        if (executionProvider != "cpu")
        {
            throw new InvalidOperationException($"model '{model}': the torchsharp backend runs on the CPU only in this build; set its ExecutionProvider to cpu or use onnxruntime.");
        }
        return TorchSharpBackend.Load(packageDir, new TorchSharpBackendOptions { Threads = options.Threads });
    }
}
