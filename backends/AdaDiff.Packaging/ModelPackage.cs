using System.Security.Cryptography;
using AdaDiff.Engine;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Packaging;

/// <summary>
/// A model package folder: <c>model.json</c> beside its safetensors weights (and, for ONNX Runtime, <c>onnx/</c>).
/// The format every backend reads; the TorchSharp backend turns the weights into modules, ONNX Runtime into graphs.
/// </summary>
public static class ModelPackage
{
    /// <summary>Manifest file name inside a package.</summary>
    public const string ManifestFileName = "model.json";

    /// <summary>Default weights file name.</summary>
    public const string WeightsFileName = "weights.safetensors";

    /// <summary>The architecture every backend here runs.</summary>
    public const string Architecture = "uvit-adadiff";

    /// <summary>Reads the manifest of a package folder; throws naming the file when it is missing, invalid or of another architecture.</summary>
    public static ModelManifest ReadManifest(string packageDir)
    {
        string path = Path.Combine(packageDir, ManifestFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: model manifest not found (is '{packageDir}' a model package?)", path);
        }
        ModelManifest manifest = ModelManifest.Load(path);
        if (manifest.Architecture != Architecture)
        {
            throw new InvalidDataException($"{path}: architecture '{manifest.Architecture}' is not supported (expected '{Architecture}')");
        }
        return manifest;
    }

    /// <summary>SHA-256 of <paramref name="bytes"/>, lower-case hex (the form model.json records).</summary>
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// Writes <paramref name="weights"/> and <paramref name="manifest"/> (with the weights' file name and SHA-256
    /// filled in) to <paramref name="packageDir"/>. Both are written beside and renamed into place, weights first,
    /// so a reader never sees a half-written file (and <see cref="PackageWeights.Read"/> re-reads once when it
    /// falls between the two renames). Returns the manifest written.
    /// </summary>
    public static ModelManifest Write(string packageDir, ModelManifest manifest, SafetensorsFile weights)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(weights);
        Directory.CreateDirectory(packageDir);
        string weightsPath = Path.Combine(packageDir, WeightsFileName);
        string tmpWeights = weightsPath + ".tmp";
        weights.Write(tmpWeights);
        string sha = Sha256(File.ReadAllBytes(tmpWeights));
        ModelManifest written = manifest with { Weights = new WeightsFile { File = WeightsFileName, Sha256 = sha } };
        string manifestPath = Path.Combine(packageDir, ManifestFileName);
        string tmpManifest = manifestPath + ".tmp";
        written.Save(tmpManifest);
        File.Move(tmpWeights, weightsPath, overwrite: true);
        File.Move(tmpManifest, manifestPath, overwrite: true);
        return written;
    }
}
