using System.Security.Cryptography;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp.Safetensors;
using AdaDiff.Engine;

namespace AdaDiff.Backends.TorchSharp;

/// <summary>A model package folder: <c>model.json</c> beside its safetensors weights.</summary>
public static class ModelPackage
{
    /// <summary>Manifest file name inside a package.</summary>
    public const string ManifestFileName = "model.json";

    /// <summary>Default weights file name.</summary>
    public const string WeightsFileName = "weights.safetensors";

    /// <summary>Reads the manifest of a package folder; throws naming the file when it is missing or invalid.</summary>
    public static ModelManifest ReadManifest(string packageDir)
    {
        string path = Path.Combine(packageDir, ManifestFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: model manifest not found (is '{packageDir}' a model package?)", path);
        }
        ModelManifest manifest = ModelManifest.Load(path);
        if (manifest.Architecture != "uvit-adadiff")
        {
            throw new InvalidDataException($"{path}: architecture '{manifest.Architecture}' is not supported by the TorchSharp backend (expected 'uvit-adadiff')");
        }
        return manifest;
    }

    /// <summary>
    /// Loads a package into a new <see cref="UViT"/> (float32, CPU). Checks the SHA-256 when asked and
    /// recorded; throws <see cref="InvalidDataException"/> naming the file and tensor on any mismatch.
    /// </summary>
    public static (ModelManifest Manifest, UViT Model) Load(string packageDir, bool verifySha256 = true)
    {
        // A trainer replaces the weights and then the manifest (two renames, milliseconds apart): a
        // reader caught between them sees a hash mismatch once, so it re-reads both before giving up.
        for (int attempt = 0; ; attempt++)
        {
            ModelManifest manifest = ReadManifest(packageDir);
            string weightsPath = Path.Combine(packageDir, manifest.Weights.File);
            if (!File.Exists(weightsPath))
            {
                throw new FileNotFoundException($"{weightsPath}: weights file named by {ManifestFileName} not found", weightsPath);
            }
            byte[] bytes = File.ReadAllBytes(weightsPath);
            if (verifySha256 && !string.IsNullOrEmpty(manifest.Weights.Sha256))
            {
                string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
                if (!string.Equals(actual, manifest.Weights.Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    if (attempt == 0)
                    {
                        Thread.Sleep(250);
                        continue;
                    }
                    throw new InvalidDataException($"{weightsPath}: SHA-256 {actual} does not match {ManifestFileName} ({manifest.Weights.Sha256}); the file is corrupt or was replaced without updating the manifest");
                }
            }
            return (manifest, LoadWeights(manifest, bytes, weightsPath));
        }
    }

    private static UViT LoadWeights(ModelManifest manifest, byte[] bytes, string weightsPath)
    {
        SafetensorsFile file = SafetensorsFile.Parse(bytes, weightsPath);
        var model = new UViT(UViTConfig.FromManifest(manifest));
        try
        {
            SafetensorsTorch.LoadInto(model, file, weightsPath);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>
    /// Writes <paramref name="model"/>'s weights and the manifest (with the weights' file name and SHA-256
    /// filled in) to <paramref name="packageDir"/>. Files are written beside and renamed into place, so a
    /// reader never sees a half-written package file. Returns the manifest written.
    /// </summary>
    public static ModelManifest Save(string packageDir, ModelManifest manifest, UViT model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(model);
        Directory.CreateDirectory(packageDir);
        var file = new SafetensorsFile(SafetensorsTorch.StateEntries(model), metadata);
        string weightsPath = Path.Combine(packageDir, WeightsFileName);
        string tmpWeights = weightsPath + ".tmp";
        file.Write(tmpWeights);
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(tmpWeights)));
        ModelManifest written = manifest with { Weights = new WeightsFile { File = WeightsFileName, Sha256 = sha } };
        string manifestPath = Path.Combine(packageDir, ManifestFileName);
        string tmpManifest = manifestPath + ".tmp";
        written.Save(tmpManifest);
        File.Move(tmpWeights, weightsPath, overwrite: true);
        File.Move(tmpManifest, manifestPath, overwrite: true);
        return written;
    }
}
