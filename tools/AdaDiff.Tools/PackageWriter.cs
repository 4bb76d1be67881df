using System.Text.Json;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Engine;

namespace AdaDiff.Tools;

/// <summary>Writes a model package (weights and manifest) the way every tools command does: named after its folder, with its training record.</summary>
internal static class PackageWriter
{
    /// <summary>The name a package in <paramref name="packageDir"/> goes by: its folder's.</summary>
    public static string NameOf(string packageDir) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(packageDir)));

    /// <summary>Largest weights file a shipped package may have (CONTRIBUTING.md): 16 MB.</summary>
    public const long MaxWeightBytes = 16_000_000;

    /// <summary>Bytes of <paramref name="model"/>'s float32 weights.</summary>
    public static long WeightBytes(UViT model)
    {
        long bytes = 0;
        foreach (TorchSharp.torch.Tensor parameter in model.parameters())
        {
            bytes += parameter.numel() * sizeof(float);
        }
        return bytes;
    }

    /// <summary>
    /// Saves <paramref name="weights"/> and <paramref name="manifest"/> to <paramref name="packageDir"/>, the manifest
    /// named <paramref name="name"/> (default: the folder's) and carrying <paramref name="training"/> (serialised as
    /// the manifest's JSON); returns the manifest as written (with the weights' hash).
    /// </summary>
    public static ModelManifest Save(string packageDir, ModelManifest manifest, object training, UViT weights, string? name = null) =>
        UViTPackage.Save(packageDir, manifest with
        {
            Name = name ?? NameOf(packageDir),
            Training = JsonSerializer.SerializeToElement(training, ModelManifest.JsonOptions),
        }, weights);
}
