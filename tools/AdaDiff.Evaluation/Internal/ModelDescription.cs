using System.Globalization;
using System.Text.Json;
using AdaDiff.Engine;

namespace AdaDiff.Evaluation.Internal;

/// <summary>What a package's manifest says about how its weights were made, for the report.</summary>
internal static class ModelDescription
{
    /// <summary>Training steps the manifest records, or null.</summary>
    public static long? TrainingSteps(ModelManifest manifest) => TrainingSteps(manifest.Training);

    private static long? TrainingSteps(JsonElement? training) =>
        training is JsonElement t && t.ValueKind == JsonValueKind.Object && t.TryGetProperty("steps", out JsonElement s) && s.TryGetInt64(out long steps) ? steps : null;

    /// <summary>What state the weights are in, in words, with their hash: the report's default <c>--weights-note</c>.</summary>
    public static string WeightsNote(ModelManifest manifest)
    {
        // A package from train-uem: its UEMs were retrained on the backbone recorded under "backbone".
        if (manifest.Training is JsonElement u && u.ValueKind == JsonValueKind.Object && u.TryGetProperty("uemRetrained", out JsonElement uem)
            && u.TryGetProperty("backbone", out JsonElement backbone))
        {
            string target = uem.TryGetProperty("target", out JsonElement tg) ? tg.GetString() ?? "?" : "?";
            string uemSteps = uem.TryGetProperty("steps", out JsonElement us) ? us.ToString() : "?";
            string from = uem.TryGetProperty("fromSha256", out JsonElement fs) && fs.GetString() is string sha ? sha[..Math.Min(12, sha.Length)] : "?";
            string backboneState = Describe(manifest with { Training = backbone });
            return string.Create(CultureInfo.InvariantCulture, $"UEMs retrained {uemSteps} steps against the {target} reference on the frozen backbone of weights {from} ({backboneState}); weights sha256 {Short(manifest.Weights.Sha256)}");
        }
        return $"{Describe(manifest)}; weights sha256 {Short(manifest.Weights.Sha256)}";
    }

    private static string Short(string? sha) => sha?[..Math.Min(12, sha.Length)] ?? "?";

    private static string Describe(ModelManifest manifest)
    {
        long? steps = TrainingSteps(manifest);
        string state = steps switch
        {
            null => "training state not recorded",
            0 => "untrained (random initialisation)",
            _ => string.Create(CultureInfo.InvariantCulture, $"trained {steps} steps"),
        };
        if (manifest.Training is JsonElement t && t.ValueKind == JsonValueKind.Object)
        {
            if (t.TryGetProperty("epochs", out JsonElement e) && e.ValueKind == JsonValueKind.Number)
            {
                state += string.Create(CultureInfo.InvariantCulture, $" ({e.GetDouble():0.##} epochs");
                state += t.TryGetProperty("plannedEpochs", out JsonElement p) && p.ValueKind == JsonValueKind.Number
                    ? string.Create(CultureInfo.InvariantCulture, $" of {p.GetDouble():0.##} planned)")
                    : ")";
            }
            if (t.TryGetProperty("finished", out JsonElement f) && f.ValueKind == JsonValueKind.False)
            {
                state += ", training unfinished";
            }
        }
        return state;
    }
}
