using System.Text.Json;

namespace AdaDiff.Backends.Onnx;

/// <summary>
/// <c>onnx/manifest.json</c>: which weights the graphs were exported from (by SHA-256) and each graph's
/// file and SHA-256. It lives beside the graphs, not in <c>model.json</c>, so a trainer rewriting
/// <c>model.json</c> cannot drop it; a backend compares <see cref="WeightsSha256"/> with the weights it
/// loads to tell a stale export, and each graph's bytes with its <see cref="OnnxStageFile.Sha256"/> to tell
/// an altered one, before it runs any (<see cref="OnnxExport.Read(string, AdaDiff.Packaging.PackageWeights)"/>).
/// </summary>
public sealed record OnnxExportManifest
{
    /// <summary>File name inside the package's <c>onnx/</c> folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>Format of this file (1).</summary>
    public int Format { get; init; } = 1;

    /// <summary>Model name.</summary>
    public required string Model { get; init; }

    /// <summary>ONNX opset of the default domain.</summary>
    public required int Opset { get; init; }

    /// <summary>Weights file the graphs were exported from (relative to the package).</summary>
    public required string WeightsFile { get; init; }

    /// <summary>SHA-256 (lower-case hex) of that weights file.</summary>
    public required string WeightsSha256 { get; init; }

    /// <summary>The command that wrote the export.</summary>
    public string Command { get; init; } = "";

    /// <summary>The graphs: embed, layer_00.., uem_00.., head.</summary>
    public required IReadOnlyList<OnnxStageFile> Stages { get; init; }

    /// <summary>Reads and checks the file; throws <see cref="InvalidDataException"/> naming it.</summary>
    public static OnnxExportManifest Load(string path)
    {
        OnnxExportManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<OnnxExportManifest>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid ONNX export manifest: {e.Message}", e);
        }
        if (manifest is null || manifest.Format != 1 || manifest.Stages is null || !IsSha256(manifest.WeightsSha256))
        {
            throw new InvalidDataException($"{path}: not a valid ONNX export manifest (format 1 with weightsSha256 and stages)");
        }
        foreach (OnnxStageFile? stage in manifest.Stages)
        {
            // A graph is a file of the export's own folder: a name with a directory part would read outside it.
            if (stage is null || string.IsNullOrEmpty(stage.Name) || string.IsNullOrEmpty(stage.File)
                || stage.File != System.IO.Path.GetFileName(stage.File) || stage.File.StartsWith('.') || !IsSha256(stage.Sha256))
            {
                throw new InvalidDataException($"{path}: stage {JsonSerializer.Serialize(stage, JsonOptions).ReplaceLineEndings(" ")} needs a name, a file name inside the folder and a SHA-256 (64 hex digits)");
            }
        }
        return manifest;
    }

    /// <summary>Writes the file as indented camelCase JSON.</summary>
    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions) + "\n");

    private static bool IsSha256(string? text) => text is { Length: 64 } && text.All(char.IsAsciiHexDigit);

    private static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}

/// <summary>One exported graph.</summary>
/// <param name="Name">Stage name (embed, layer_NN, uem_NN, head).</param>
/// <param name="File">File name inside <c>onnx/</c>.</param>
/// <param name="Sha256">SHA-256 of the file, lower-case hex.</param>
public sealed record OnnxStageFile(string Name, string File, string Sha256);
