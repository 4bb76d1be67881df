using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>
/// Both backends on one package in a private folder: loaded by TorchSharp from the weights and by ONNX Runtime from
/// the export in the folder's <c>onnx/</c>, which a fixture writes before <see cref="Load"/>. Disposing deletes the folder.
/// </summary>
public abstract class BackendPair : IDisposable
{
    protected BackendPair(string prefix)
    {
        Directory = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The names <see cref="Get"/> takes, for a theory run on each backend.</summary>
    public static TheoryData<string> Names => new() { "torchsharp", "onnxruntime" };

    /// <summary>The private package folder.</summary>
    public string Directory { get; }

    public TorchSharpBackend TorchSharp { get; private set; } = null!;

    public OnnxBackend Onnx { get; private set; } = null!;

    public IDenoiserBackend Get(string name) => name switch
    {
        "torchsharp" => TorchSharp,
        "onnxruntime" => Onnx,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown backend"),
    };

    public void Dispose()
    {
        TorchSharp?.Dispose();
        Onnx?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Loads both backends from <see cref="Directory"/> (its package and its ONNX export).</summary>
    protected void Load()
    {
        TorchSharp = TorchSharpBackend.Load(Directory, new TorchSharpBackendOptions { Threads = TorchThreads.Pinned });
        Onnx = OnnxBackend.Load(Directory, new OnnxBackendOptions { Threads = 2, ReexportWhenStale = false });
    }
}
