using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Packaging;

namespace AdaDiff.Benchmarks;

/// <summary>
/// The configurations of a comparison, each a backend loaded from a private copy of the package (the trainer may
/// replace the weights while the benchmark runs); disposing releases the backends, then deletes the copy.
/// </summary>
internal sealed class ComparisonBackends : IDisposable
{
    private readonly string folder;
    private readonly List<IDisposable> owned = [];

    private ComparisonBackends(string package, IReadOnlyList<string> configs, int threads)
    {
        folder = Path.Combine(Path.GetTempPath(), "adadiff-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        PackageWeights weights = PackageWeights.Read(package);
        File.Copy(Path.Combine(package, ModelPackage.ManifestFileName), Path.Combine(folder, ModelPackage.ManifestFileName));
        File.WriteAllBytes(Path.Combine(folder, weights.Manifest.Weights.File), weights.Bytes);
        OnnxExport.Create(weights.Manifest, weights.Bytes, weights.Path).Write(folder);
        WeightsSha256 = weights.Sha256;
        Configs = [.. configs];
        Backends = [.. Configs.Select(c => Open(c, threads))];
    }

    /// <summary>The configurations' names, in the command line's order.</summary>
    public string[] Configs { get; }

    /// <summary>The backend of each configuration, in the same order.</summary>
    public IDenoiserBackend[] Backends { get; }

    public ModelManifest Manifest => Backends[0].Manifest;

    /// <summary>The SHA-256 of the weights the copy holds.</summary>
    public string WeightsSha256 { get; }

    /// <summary>Copies <paramref name="package"/> and loads each of <paramref name="configs"/> from the copy.</summary>
    public static ComparisonBackends Open(string package, IReadOnlyList<string> configs, int threads) => new(package, configs, threads);

    public void Dispose()
    {
        foreach (IDisposable d in owned)
        {
            d.Dispose();
        }
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>
    /// torchsharp and onnxruntime run the passes the engine plans (fused calls where the backend has them);
    /// the per-stage configurations run one stage a call (<see cref="PerStageBackend"/>; ONNX Runtime also without its fused sessions).
    /// </summary>
    private IDenoiserBackend Open(string config, int threads)
    {
        switch (config)
        {
            case "torchsharp" or "torchsharp-per-stage":
                var torch = TorchSharpBackend.Load(folder, new TorchSharpBackendOptions { Threads = threads });
                owned.Add(torch);
                return config == "torchsharp" ? torch : new PerStageBackend(torch);
            case "onnxruntime" or "onnxruntime-per-stage":
                bool fused = config == "onnxruntime";
                var onnx = OnnxBackend.Load(folder, new OnnxBackendOptions { Threads = threads, ReexportWhenStale = false, FusedStages = fused });
                owned.Add(onnx);
                return fused ? onnx : new PerStageBackend(onnx);
            default:
                throw new ArgumentException($"unknown configuration '{config}' ({BackendComparison.ConfigNames})");
        }
    }
}
