using System.Text.Json;
using AdaDiff.Grpc.V1;

namespace AdaDiff.Cli.Internal;

/// <summary>Writes stats.json: the compute stats, seeds, mean exit layers and every step's exit layers.</summary>
internal static class StatsFile
{
    public static async Task WriteAsync(string path, GenerationResult result, IReadOnlyList<uint[]> exitLayersPerStep)
    {
        await using FileStream file = File.Create(path);
        await using var w = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("model", result.Model);
        WriteStatsFields(w, result.Stats); // at the top level of stats.json
        JsonArrays.Write(w, "seeds", result.Images, static (w, image) => w.WriteNumberValue(image.Seed));
        JsonArrays.Write(w, "meanExitLayers", result.Images, static (w, image) => w.WriteNumberValue(image.MeanExitLayer));
        JsonArrays.Write(w, "exitLayersPerStep", exitLayersPerStep, static (w, step) =>
            JsonArrays.WriteValue(w, step, static (w, layer) => w.WriteNumberValue(layer)));
        w.WriteEndObject();
    }

    /// <summary>The compute stats as a JSON object (the JSON events' <c>stats</c>).</summary>
    public static void WriteStats(Utf8JsonWriter w, ComputeStats s)
    {
        w.WriteStartObject();
        WriteStatsFields(w, s);
        w.WriteEndObject();
    }

    /// <summary>The compute stats' fields, into the object being written.</summary>
    private static void WriteStatsFields(Utf8JsonWriter w, ComputeStats s)
    {
        w.WriteNumber("layersExecuted", s.LayersExecuted);
        w.WriteNumber("layersFull", s.LayersFull);
        w.WriteNumber("accelerationRatio", s.AccelerationRatio);
        w.WriteNumber("flopsExecuted", s.FlopsExecuted);
        w.WriteNumber("flopsFull", s.FlopsFull);
        w.WriteNumber("wallSeconds", s.WallSeconds);
        w.WriteNumber("queueSeconds", s.QueueSeconds);
        w.WriteNumber("steps", s.Steps);
    }
}
