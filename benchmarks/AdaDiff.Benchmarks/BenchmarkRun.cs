using System.Text.Json;
using System.Text.Json.Serialization;

namespace AdaDiff.Benchmarks;

/// <summary>
/// A run of <see cref="BackendComparison"/> as its JSON holds it (<c>docs/benchmarks.json</c>): what ran, on what, and
/// every round of every figure; the markdown is written from it alone.
/// </summary>
/// <param name="Date">When the run ended, "yyyy-MM-dd HH:mm UTC".</param>
/// <param name="Sampler">The sampling settings in words (sampler, steps, class, guidance, threshold, min layers).</param>
internal sealed record BenchmarkRun(
    string Command, string Date, string Machine, ModelSummary Model, string Sampler, int Rounds,
    IReadOnlyList<ThroughputRow> Throughput, IReadOnlyList<StageTiming> PerStage)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The JSON file's text, with a final newline.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    /// <summary>A run read back from <see cref="ToJson"/>'s text.</summary>
    public static BenchmarkRun FromJson(string json) =>
        JsonSerializer.Deserialize<BenchmarkRun>(json, Json) ?? throw new InvalidDataException("the JSON holds no benchmark run");
}

/// <summary>The model a run measured (names as the first reports wrote them).</summary>
internal sealed record ModelSummary(
    [property: JsonPropertyName("Name")] string Name,
    [property: JsonPropertyName("EmbedDim")] int EmbedDim,
    [property: JsonPropertyName("Depth")] int Depth,
    [property: JsonPropertyName("weightsSha256")] string WeightsSha256);

/// <summary>Images per second of one configuration, batch and exit mode: the median of the rounds, their range and each.</summary>
/// <param name="MeanLayers">Mean exit depth over images and steps.</param>
internal sealed record ThroughputRow(
    string Config, int Batch, string Mode, double ImagesPerSecond, double Min, double Max, double[] Rounds, double MeanLayers);

/// <summary>
/// Time per call of one configuration at one batch size (medians, ms): each stage alone, the fused calls a pass makes,
/// and whole passes per stage against fused (see <see cref="StageTimer"/>).
/// </summary>
/// <param name="LayerMs">Each layer alone, layers 1..depth.</param>
/// <param name="PrefixLayers">Layers run with the embedding in one call (min layers − 1, at least 1).</param>
internal sealed record StageTiming(
    string Config, int Batch, double EmbedMs, double[] LayerMs, double MeanLayerMs, double UemMs, double HeadMs,
    double WholeNetworkMs, double WholeNetworkPerLayerMs, int PrefixLayers, double PrefixMs, double LayerWithUemMs,
    double FullPassPerStageMs, double FullPassFusedMs, double AdaptivePassPerStageMs, double AdaptivePassFusedMs);
