using AdaDiff.Backends.Onnx.Internal;
using AdaDiff.Engine;
using AdaDiff.Packaging;
using AdaDiff.Packaging.Safetensors;
using Google.Protobuf;

namespace AdaDiff.Backends.Onnx;

/// <summary>
/// The ONNX stages of one model, built in memory from its safetensors weights: embed, one graph per
/// layer (long skip handled inside out-blocks), one UEM certainty graph per layer, and the shared head.
/// These are what the package's <c>onnx/</c> folder holds; the fused graphs (several stages in one call) are
/// built from the same weights by the backend at load and never written.
/// </summary>
public sealed class OnnxExport
{
    /// <summary>Opset of the default ONNX domain the graphs use.</summary>
    public const int Opset = 17;

    /// <summary>Folder of the export inside a model package.</summary>
    public const string FolderName = "onnx";

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
    /// Writes the graphs and <c>manifest.json</c> into <c>&lt;packageDir&gt;/onnx/</c>: each file beside and renamed
    /// into place, the manifest last, so a reader sees the old export or the new one. Stale graph files are removed.
    /// </summary>
    public void Write(string packageDir)
    {
        string dir = Path.Combine(packageDir, FolderName);
        Directory.CreateDirectory(dir);
        foreach (OnnxStageFile stage in Manifest.Stages)
        {
            string path = Path.Combine(dir, stage.File);
            File.WriteAllBytes(path + ".tmp", Graphs[stage.Name]);
            File.Move(path + ".tmp", path, overwrite: true);
        }
        string manifestPath = Path.Combine(dir, OnnxExportManifest.FileName);
        Manifest.Save(manifestPath + ".tmp");
        File.Move(manifestPath + ".tmp", manifestPath, overwrite: true);
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (OnnxStageFile stage in Manifest.Stages)
        {
            keep.Add(stage.File);
        }
        foreach (string file in Directory.EnumerateFiles(dir, "*.onnx"))
        {
            if (!keep.Contains(Path.GetFileName(file)))
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>
    /// Reads the export in <c>&lt;packageDir&gt;/onnx/</c>, checking every graph's SHA-256. Returns null when the folder
    /// has no manifest; throws <see cref="InvalidDataException"/> naming the file when a graph is missing or altered.
    /// </summary>
    public static OnnxExport? Read(string packageDir)
    {
        string dir = Path.Combine(packageDir, FolderName);
        string manifestPath = Path.Combine(dir, OnnxExportManifest.FileName);
        if (!File.Exists(manifestPath))
        {
            return null;
        }
        OnnxExportManifest manifest = OnnxExportManifest.Load(manifestPath);
        var graphs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (OnnxStageFile stage in manifest.Stages)
        {
            string path = Path.Combine(dir, stage.File);
            if (!File.Exists(path))
            {
                throw new InvalidDataException($"{path}: graph of stage '{stage.Name}' named by {manifestPath} not found; re-run adadiff-tools export-onnx");
            }
            byte[] bytes = File.ReadAllBytes(path);
            string actual = ModelPackage.Sha256(bytes);
            if (!string.Equals(actual, stage.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"{path}: SHA-256 {actual} does not match {manifestPath} ({stage.Sha256}); re-run adadiff-tools export-onnx");
            }
            graphs[stage.Name] = bytes;
        }
        return new OnnxExport(manifest, graphs, null);
    }
}
