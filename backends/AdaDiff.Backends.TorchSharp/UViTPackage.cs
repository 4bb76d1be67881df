using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp.Safetensors;
using AdaDiff.Engine;
using AdaDiff.Packaging;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Backends.TorchSharp;

/// <summary>A model package (<see cref="ModelPackage"/>) loaded into, or written from, a TorchSharp <see cref="UViT"/>.</summary>
public static class UViTPackage
{
    /// <summary>
    /// Loads a package into a new <see cref="UViT"/> (float32, CPU). Checks the SHA-256 when asked and
    /// recorded; throws <see cref="InvalidDataException"/> naming the file and tensor on any mismatch.
    /// </summary>
    public static (ModelManifest Manifest, UViT Model) Load(string packageDir, bool verifySha256 = true)
    {
        PackageWeights weights = PackageWeights.Read(packageDir, verifySha256);
        SafetensorsFile file = SafetensorsFile.Parse(weights.Bytes, weights.Path);
        var model = new UViT(weights.Manifest);
        try
        {
            SafetensorsTorch.LoadInto(model, file, weights.Path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return (weights.Manifest, model);
    }

    /// <summary>
    /// Writes <paramref name="model"/>'s weights and the manifest to <paramref name="packageDir"/> atomically
    /// (<see cref="ModelPackage.Write"/>). Returns the manifest written.
    /// </summary>
    public static ModelManifest Save(string packageDir, ModelManifest manifest, UViT model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return ModelPackage.Write(packageDir, manifest, new SafetensorsFile(SafetensorsTorch.StateEntries(model), metadata));
    }
}
