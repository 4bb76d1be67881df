using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine;
using AdaDiff.Packaging;

namespace AdaDiff.Evaluation.Internal;

/// <summary>Writes an evaluation's chosen threshold into a package's model.json, keeping every other field.</summary>
internal static class ManifestUpdate
{
    /// <summary>
    /// Sets <c>defaultThreshold</c> and <c>defaultMinLayers</c> (the exit floor the threshold was measured with) and records how it was chosen under <c>defaultThresholdChosenBy</c>; the result is
    /// validated as a manifest before it replaces the file (written beside it, then moved).
    /// </summary>
    public static void WriteDefaultThreshold(string packageDir, SelectionRecord selection, string command, DateTimeOffset when)
    {
        ArgumentNullException.ThrowIfNull(selection);
        string path = Path.Combine(packageDir, ModelPackage.ManifestFileName);
        JsonObject root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
            ?? throw new InvalidDataException($"{path}: not a JSON object");
        root["defaultThreshold"] = selection.Threshold;
        root["defaultMinLayers"] = selection.MinLayers;
        root["defaultThresholdChosenBy"] = new JsonObject
        {
            ["command"] = command,
            ["date"] = when.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            ["rule"] = selection.Rule,
            ["metQualityBar"] = selection.MetQualityBar,
            ["samples"] = selection.Samples,
            ["minLayers"] = selection.MinLayers,
            ["accuracyMargin"] = Math.Round(selection.AccuracyMargin, 5),
            ["run"] = selection.RunId,
        };
        // Readable text in the file: "≤ 1.05×", not "\u2264 1.05\u00D7" (the default encoder escapes non-ASCII).
        var options = new JsonSerializerOptions(ModelManifest.JsonOptions) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        string text = root.ToJsonString(options) + "\n";
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        try
        {
            ModelManifest.Load(temporary);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        File.Move(temporary, path, overwrite: true);
    }
}
