using AdaDiff.Engine;

namespace AdaDiff.Tests.Shared;

/// <summary>The part of <see cref="TestPaths"/> that reads manifests: linked only into projects that reference AdaDiff.Engine.</summary>
internal static partial class TestPaths
{
    /// <summary>The manifest of a model of the repository as it is on disk now (what the server must report).</summary>
    public static ModelManifest Manifest(string model) => ModelManifest.Load(Path.Combine(ModelRepository, model, "model.json"));
}
