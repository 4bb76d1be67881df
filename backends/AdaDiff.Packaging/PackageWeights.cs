using AdaDiff.Engine;

namespace AdaDiff.Packaging;

/// <summary>A package's manifest and the bytes of its weights file, with their SHA-256, read consistently.</summary>
/// <param name="Manifest">model.json.</param>
/// <param name="Path">The weights file.</param>
/// <param name="Bytes">Its contents.</param>
/// <param name="Sha256">SHA-256 of <paramref name="Bytes"/>, lower-case hex.</param>
public sealed record PackageWeights(ModelManifest Manifest, string Path, byte[] Bytes, string Sha256)
{
    /// <summary>
    /// Reads model.json and the weights it names. A trainer replaces the weights and then model.json (two
    /// renames): a reader caught between them sees a hash mismatch, so it re-reads once before failing with an
    /// <see cref="InvalidDataException"/> naming the file.
    /// </summary>
    public static PackageWeights Read(string packageDir, bool verifySha256 = true)
    {
        for (int attempt = 0; ; attempt++)
        {
            ModelManifest manifest = ModelPackage.ReadManifest(packageDir);
            string path = System.IO.Path.Combine(packageDir, manifest.Weights.File);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{path}: weights file named by {ModelPackage.ManifestFileName} not found", path);
            }
            byte[] bytes = File.ReadAllBytes(path);
            string sha = ModelPackage.Sha256(bytes);
            if (verifySha256 && !string.IsNullOrEmpty(manifest.Weights.Sha256)
                && !string.Equals(sha, manifest.Weights.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                if (attempt == 0)
                {
                    Thread.Sleep(250);
                    continue;
                }
                throw new InvalidDataException($"{path}: SHA-256 {sha} does not match {ModelPackage.ManifestFileName} ({manifest.Weights.Sha256}); the file is corrupt or was replaced without updating the manifest");
            }
            return new PackageWeights(manifest, path, bytes, sha);
        }
    }
}
