using AdaDiff.Backends.Onnx;
using AdaDiff.Packaging;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>
/// Both backends on the same weights: a private copy of the shipped package (model.json and the weights it
/// names, read together so a trainer rewriting the package mid-read cannot split them; the shipped package
/// has no ONNX export, which is never committed), exported to ONNX into that copy's <c>onnx/</c> as
/// <c>adadiff-tools export-onnx</c> does and loaded from there, refusing to export again.
/// </summary>
public sealed class BackendsFixture : BackendPair
{
    public BackendsFixture() : base("adadiff-conformance-")
    {
        PackageWeights weights = PackageWeights.Read(ShippedPackage);
        File.Copy(Path.Combine(ShippedPackage, ModelPackage.ManifestFileName), Path.Combine(Directory, ModelPackage.ManifestFileName));
        File.WriteAllBytes(Path.Combine(Directory, weights.Manifest.Weights.File), weights.Bytes);
        PackageWeights copy = PackageWeights.Read(Directory);
        OnnxExport.Create(copy.Manifest, copy.Bytes, copy.Path).Write(Directory);
        Load();
    }

    /// <summary>The repository's default model package.</summary>
    public static string ShippedPackage { get; } = FindShipped();

    private static string FindShipped()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            string candidate = Path.Combine(dir, "models", "fashion-mnist-uvit");
            if (File.Exists(Path.Combine(candidate, ModelPackage.ManifestFileName)))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("models/fashion-mnist-uvit not found above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class BackendsCollection : ICollectionFixture<BackendsFixture>
{
    public const string Name = "backends";
}
