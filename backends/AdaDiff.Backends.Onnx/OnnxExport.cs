using AdaDiff.Backends.Onnx.Internal;
using AdaDiff.Engine;
using AdaDiff.Packaging;
using AdaDiff.Packaging.Safetensors;
using Google.Protobuf;

namespace AdaDiff.Backends.Onnx;

/// <summary>
/// The ONNX stages of one model, built in memory from its safetensors weights: embed, one graph per
/// layer (long skip handled inside out-blocks), one UEM certainty graph per layer, and the shared head.
/// These are what the package's <c>onnx/</c> folder holds, a cache of what the weights determine: written by
/// <c>adadiff-tools export-onnx</c> or by <see cref="OnnxBackend.Load"/> after exporting in memory, never committed,
/// and verified against the weights and each graph's SHA-256 when read. The fused graphs (several stages in one call)
/// are built from the same weights by the backend at load and never written.
/// </summary>
public sealed class OnnxExport
{
    /// <summary>Opset of the default ONNX domain the graphs use.</summary>
    public const int Opset = 17;

    /// <summary>Folder of the export inside a model package.</summary>
    public const string FolderName = "onnx";

    /// <summary>Name prefix of the staging folders <see cref="Write"/> creates beside <see cref="FolderName"/> while it writes.</summary>
    public const string StagingPrefix = ".onnx-";

    // A staging folder this old is from a writer that died mid-write (writing takes well under a second): no live
    // writer is that slow, so it is removed rather than left to hold 11 MB of graphs.
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    private OnnxExport(OnnxExportManifest manifest, IReadOnlyDictionary<string, byte[]> graphs, UViTGraphs? builder)
    {
        Manifest = manifest;
        Graphs = graphs;
        Builder = builder;
    }

    /// <summary>What was exported, with each graph's hash.</summary>
    public OnnxExportManifest Manifest { get; }

    /// <summary>Serialized ModelProto of each stage, by stage name.</summary>
    public IReadOnlyDictionary<string, byte[]> Graphs { get; }

    /// <summary>
    /// Builds the fused graphs (several stages in one) from the weights the export was made from; null for an export
    /// read from disk alone (see <see cref="WithWeights"/>).
    /// </summary>
    internal UViTGraphs? Builder { get; }

    /// <summary>
    /// This export with the weights it was made from, so that a backend can build fused graphs from them at load.
    /// Throws <see cref="InvalidDataException"/> when <paramref name="weights"/> are not those the manifest names.
    /// </summary>
    internal OnnxExport WithWeights(PackageWeights weights)
    {
        if (!string.Equals(weights.Sha256, Manifest.WeightsSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{weights.Path}: SHA-256 {weights.Sha256} is not that of the weights the ONNX export was made from ({Manifest.WeightsSha256})");
        }
        var reader = new WeightReader(SafetensorsFile.Parse(weights.Bytes, weights.Path), weights.Path);
        return new OnnxExport(Manifest, Graphs, new UViTGraphs(weights.Manifest, reader));
    }

    /// <summary>Stage name of layer <paramref name="layer"/>.</summary>
    public static string LayerStage(int layer) => $"layer_{layer:D2}";

    /// <summary>Stage name of the UEM of layer <paramref name="layer"/>.</summary>
    public static string UemStage(int layer) => $"uem_{layer:D2}";

    /// <summary>
    /// Exports every stage of <paramref name="manifest"/>'s model from the weights file's bytes.
    /// Throws <see cref="InvalidDataException"/> with the reason for a model it cannot express.
    /// </summary>
    /// <param name="manifest">The package's model.json.</param>
    /// <param name="weights">The whole weights file.</param>
    /// <param name="source">Names the weights in messages.</param>
    /// <param name="command">Recorded in the export manifest.</param>
    public static OnnxExport Create(ModelManifest manifest, byte[] weights, string source, string command = "")
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(weights);
        if (manifest.Architecture != "uvit-adadiff")
        {
            throw new InvalidDataException($"{manifest.Name}: architecture '{manifest.Architecture}' cannot be exported (the exporter knows 'uvit-adadiff')");
        }
        if (manifest.Depth % 2 == 0 || manifest.EmbedDim % 2 != 0 || manifest.EmbedDim % manifest.NumHeads != 0
            || manifest.Height % manifest.PatchSize != 0 || manifest.Width % manifest.PatchSize != 0)
        {
            throw new InvalidDataException($"{manifest.Name}: depth {manifest.Depth} must be odd, width {manifest.EmbedDim} even and a multiple of {manifest.NumHeads} heads, and {manifest.Height}×{manifest.Width} a multiple of patch {manifest.PatchSize}");
        }
        SafetensorsFile file = SafetensorsFile.Parse(weights, source);
        var reader = new WeightReader(file, source);
        var graphs = new UViTGraphs(manifest, reader);
        var built = new List<(string Name, byte[] Bytes)> { ("embed", graphs.Embed().ToByteArray()) };
        for (int i = 0; i < manifest.Depth; i++)
        {
            built.Add((LayerStage(i), graphs.Layer(i).ToByteArray()));
        }
        for (int i = 0; i < manifest.Depth; i++)
        {
            built.Add((UemStage(i), graphs.Uem(i).ToByteArray()));
        }
        built.Add(("head", graphs.Head().ToByteArray()));
        reader.RequireAllTaken();

        var byName = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var stages = new List<OnnxStageFile>();
        foreach ((string name, byte[] bytes) in built)
        {
            byName[name] = bytes;
            stages.Add(new OnnxStageFile(name, name + ".onnx", ModelPackage.Sha256(bytes)));
        }
        var exportManifest = new OnnxExportManifest
        {
            Model = manifest.Name,
            Opset = Opset,
            WeightsFile = manifest.Weights.File,
            WeightsSha256 = ModelPackage.Sha256(weights),
            Command = command,
            Stages = stages,
        };
        return new OnnxExport(exportManifest, byName, graphs);
    }

    /// <summary>
    /// Writes the graphs and <c>manifest.json</c> into <c>&lt;packageDir&gt;/onnx/</c> atomically: the whole export is
    /// written into a staging folder beside it (<c>.onnx-&lt;id&gt;.tmp</c>, same file system) and renamed into place, so
    /// a reader sees no export, the old one or the new one, never a mix, also when several processes write at once
    /// (the last rename wins; each folder renamed in is whole). An export already there is first renamed aside and then
    /// deleted, since a folder cannot be renamed over a non-empty one. Throws <see cref="IOException"/> or
    /// <see cref="UnauthorizedAccessException"/> when the package folder cannot be written; nothing is left behind then.
    /// </summary>
    public void Write(string packageDir)
    {
        ArgumentNullException.ThrowIfNull(packageDir);
        string dir = Path.Combine(packageDir, FolderName);
        string staging = Path.Combine(packageDir, $"{StagingPrefix}{Guid.NewGuid():N}.tmp");
        try
        {
            RemoveAbandonedStaging(packageDir);
            Directory.CreateDirectory(staging);
            foreach (OnnxStageFile stage in Manifest.Stages)
            {
                File.WriteAllBytes(Path.Combine(staging, stage.File), Graphs[stage.Name]);
            }
            Manifest.Save(Path.Combine(staging, OnnxExportManifest.FileName));
            MoveIntoPlace(staging, dir);
        }
        finally
        {
            DeleteQuietly(staging);
        }
    }

    /// <summary>
    /// Reads the export in <c>&lt;packageDir&gt;/onnx/</c>, checking every graph's SHA-256. Returns null when the folder
    /// has no manifest; throws <see cref="InvalidDataException"/> naming the file when a graph is missing or altered.
    /// </summary>
    public static OnnxExport? Read(string packageDir)
    {
        (OnnxExportManifest manifest, string dir)? found = ReadManifest(packageDir);
        return found is null ? null : new OnnxExport(found.Value.manifest, ReadGraphs(found.Value.manifest, found.Value.dir), null);
    }

    /// <summary>
    /// Reads the export in <c>&lt;packageDir&gt;/onnx/</c> for <paramref name="weights"/> and attaches them (see
    /// <see cref="WithWeights"/>), verifying it before any graph is used: its manifest must name the SHA-256 of
    /// <paramref name="weights"/> (checked first, before any graph is read) and exactly the stages of the model
    /// (<see cref="StageNames"/>), and every graph's bytes must hash to the SHA-256 the manifest records. Returns null
    /// when the folder has no manifest; throws <see cref="InvalidDataException"/> saying which check failed and on
    /// which file (a stale export, a missing, altered or unexpected graph, an invalid manifest).
    /// </summary>
    public static OnnxExport? Read(string packageDir, PackageWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        (OnnxExportManifest manifest, string dir)? found = ReadManifest(packageDir);
        if (found is null)
        {
            return null;
        }
        (OnnxExportManifest manifest, string dir) = found.Value;
        string manifestPath = Path.Combine(dir, OnnxExportManifest.FileName);
        if (!string.Equals(manifest.WeightsSha256, weights.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException(
                $"{manifestPath}: stale, exported from weights {Short(manifest.WeightsSha256)} but {weights.Path} is {Short(weights.Sha256)}");
        }
        IReadOnlyList<string> expected = StageNames(weights.Manifest.Depth);
        if (!manifest.Stages.Select(s => s.Name).SequenceEqual(expected, StringComparer.Ordinal)
            || manifest.Stages.Any(s => s.File != s.Name + ".onnx"))
        {
            throw new InvalidDataException(
                $"{manifestPath}: names stages [{string.Join(", ", manifest.Stages.Select(s => $"{s.Name}={s.File}"))}], not the {expected.Count} stages of a {weights.Manifest.Depth}-layer model (embed, layer_NN, uem_NN, head as <name>.onnx)");
        }
        return new OnnxExport(manifest, ReadGraphs(manifest, dir), null).WithWeights(weights);
    }

    /// <summary>The stages of a model of <paramref name="depth"/> layers, in export order: embed, layer_00.., uem_00.., head.</summary>
    public static IReadOnlyList<string> StageNames(int depth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(depth);
        var names = new List<string>((2 * depth) + 2) { "embed" };
        for (int i = 0; i < depth; i++)
        {
            names.Add(LayerStage(i));
        }
        for (int i = 0; i < depth; i++)
        {
            names.Add(UemStage(i));
        }
        names.Add("head");
        return names;
    }

    private static (OnnxExportManifest Manifest, string Dir)? ReadManifest(string packageDir)
    {
        ArgumentNullException.ThrowIfNull(packageDir);
        string dir = Path.Combine(packageDir, FolderName);
        string manifestPath = Path.Combine(dir, OnnxExportManifest.FileName);
        return File.Exists(manifestPath) ? (OnnxExportManifest.Load(manifestPath), dir) : null;
    }

    private static Dictionary<string, byte[]> ReadGraphs(OnnxExportManifest manifest, string dir)
    {
        string manifestPath = Path.Combine(dir, OnnxExportManifest.FileName);
        var graphs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (OnnxStageFile stage in manifest.Stages)
        {
            string path = Path.Combine(dir, stage.File);
            if (!File.Exists(path))
            {
                throw new InvalidDataException($"{path}: graph of stage '{stage.Name}' named by {manifestPath} not found");
            }
            byte[] bytes = File.ReadAllBytes(path);
            string actual = ModelPackage.Sha256(bytes);
            if (!string.Equals(actual, stage.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"{path}: SHA-256 {actual} does not match {manifestPath} ({stage.Sha256}): altered since it was exported");
            }
            graphs[stage.Name] = bytes;
        }
        return graphs;
    }

    /// <summary>
    /// Renames the whole folder <paramref name="staging"/> to <paramref name="dir"/>. rename(2) refuses a non-empty
    /// target, so an export already there is renamed aside first and deleted after; another writer may put its own
    /// export in place between the two renames, and is then replaced in turn (each writer does this at most a few
    /// times, and every folder it renames in is whole).
    /// </summary>
    private static void MoveIntoPlace(string staging, string dir)
    {
        for (int attempt = 1; ; attempt++)
        {
            string aside = $"{staging}.old{attempt}";
            bool movedAside = false;
            try
            {
                if (Directory.Exists(dir))
                {
                    try
                    {
                        Directory.Move(dir, aside);
                        movedAside = true;
                    }
                    catch (DirectoryNotFoundException)
                    {
                        // Another writer renamed it aside first.
                    }
                }
                Directory.Move(staging, dir);
                return;
            }
            catch (IOException) when (attempt < 4 && Directory.Exists(dir) && Directory.Exists(staging))
            {
                // Another writer renamed its export in after ours was renamed aside: replace it.
            }
            finally
            {
                if (movedAside)
                {
                    DeleteQuietly(aside);
                }
            }
        }
    }

    private static void RemoveAbandonedStaging(string packageDir)
    {
        if (!Directory.Exists(packageDir))
        {
            return;
        }
        foreach (string dir in Directory.EnumerateDirectories(packageDir, StagingPrefix + "*"))
        {
            if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(dir) > AbandonedAfter)
            {
                DeleteQuietly(dir);
            }
        }
    }

    private static void DeleteQuietly(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next writer's RemoveAbandonedStaging: a failed clean-up must not fail a written export.
        }
    }

    private static string Short(string sha256) => sha256.Length > 12 ? sha256[..12] + "…" : sha256;
}
