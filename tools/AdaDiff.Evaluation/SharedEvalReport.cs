using System.Text.Json.Serialization;

namespace AdaDiff.Evaluation;

/// <summary>
/// What every evaluation's <c>results.json</c> opens with (<see cref="EvalReport"/>, <see cref="Text.TextEvalReport"/>):
/// the command, when and how long it ran, the package, the classifier and the settings, written first, as before the
/// two reports shared them.
/// </summary>
/// <typeparam name="TSettings">The evaluation's settings after defaults.</typeparam>
public abstract record SharedEvalReport<TSettings>
{
    /// <summary>JSON order of these properties: before the report's own (System.Text.Json writes a derived type's first).</summary>
    private const int HeaderOrder = -1;

    /// <summary>The command line that produced it.</summary>
    [JsonPropertyOrder(HeaderOrder)]
    public required string Command { get; init; }

    /// <summary>When the run started (UTC).</summary>
    [JsonPropertyOrder(HeaderOrder)]
    public required DateTimeOffset StartedUtc { get; init; }

    /// <summary>Seconds the whole run took.</summary>
    [JsonPropertyOrder(HeaderOrder)]
    public double WallSeconds { get; set; }

    /// <summary>The evaluated package.</summary>
    [JsonPropertyOrder(HeaderOrder)]
    public required ModelInfo Model { get; init; }

    /// <summary>The classifier behind the FID-proxy and the class accuracy (prompt agreement for a text model).</summary>
    [JsonPropertyOrder(HeaderOrder)]
    public required ClassifierInfo Classifier { get; init; }

    /// <summary>Settings after defaults.</summary>
    [JsonPropertyOrder(HeaderOrder)]
    public required TSettings Settings { get; init; }
}
