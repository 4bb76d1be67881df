using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AdaDiff.ServingBenchmarks.Reporting;
using AdaDiff.ServingBenchmarks.Reporting.Sections;
using static AdaDiff.ServingBenchmarks.Reporting.ReportFormat;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// The outputs of a run: <c>&lt;out&gt;.json</c> (the raw rounds, the summaries, the ratios and the targets), the
/// serving section of the markdown file (the rest of that file is kept), the PNG plots beside the JSON, and the console
/// summary. Everything derives from a <see cref="BenchResult"/>, so a result set can be written again without a run.
/// </summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The paths written.</summary>
    public sealed record Written(string Json, string Markdown, IReadOnlyList<string> Plots);

    /// <summary>Writes <c>&lt;outPrefix&gt;.json</c>, the plots <c>&lt;outPrefix&gt;-*.png</c> and the section of <paramref name="markdownPath"/>.</summary>
    public static Written Write(BenchResult result, string outPrefix, string markdownPath)
    {
        ArgumentNullException.ThrowIfNull(result);
        var analysis = new Analysis(result);
        IReadOnlyList<Target> targets = Targets.Evaluate(analysis);
        foreach (string path in new[] { outPrefix, markdownPath })
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
            }
        }
        string json = outPrefix + ".json";
        File.WriteAllText(json, JsonText(result, analysis, targets));
        IReadOnlyList<string> plots = Plots.Write(analysis, outPrefix);
        string mdDir = Path.GetDirectoryName(Path.GetFullPath(markdownPath))!;
        string Relative(string p) => Path.GetRelativePath(mdDir, Path.GetFullPath(p)).Replace('\\', '/');
        string body = Markdown(analysis, targets, Relative(json), [.. plots.Select(Relative)]);
        string? existing = File.Exists(markdownPath) ? File.ReadAllText(markdownPath) : null;
        File.WriteAllText(markdownPath, MarkdownSection.Replace(existing, body));
        return new Written(json, markdownPath, plots);
    }

    /// <summary>The result set of a run's JSON (what <see cref="JsonText"/> wrote), for writing its reports again.</summary>
    public static BenchResult ReadResult(string jsonText)
    {
        using JsonDocument doc = JsonDocument.Parse(jsonText);
        return doc.RootElement.GetProperty("result").Deserialize<BenchResult>(Json)
            ?? throw new InvalidOperationException("the JSON holds no result");
    }

    public static string JsonText(BenchResult result, Analysis analysis, IReadOnlyList<Target> targets)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var summaries = analysis.Configs.Select(c => new
        {
            config = c.Config.Key,
            imagesPerSecond = c.ImagesPerSecond,
            latencyP50Seconds = c.LatencyP50,
            latencyP99Seconds = c.LatencyP99,
            firstStepP50Seconds = c.FirstStepP50,
            firstStepP99Seconds = c.FirstStepP99,
            stepSeconds = c.StepSeconds,
            meanExitLayer = c.MeanExitLayer,
            errors = c.Errors,
            serverCpuSecondsPerImage = c.ServerCpuPerImage,
            clientCpuSecondsPerImage = c.ClientCpuPerImage,
            machineBusyCores = c.MachineBusyCores,
        });
        var targetRows = targets.Select(t => new { group = t.Group, name = t.Name, figure = t.Figure, limit = t.Limit, atMost = t.AtMost, status = t.StatusText, text = t.FigureText });
        return JsonSerializer.Serialize(new { result, summaries, targets = targetRows }, Json) + "\n";
    }

    /// <summary>The sections of the serving report, in order; each writes nothing when the run lacks its data.</summary>
    internal static IReadOnlyList<IReportSection> Sections { get; } =
    [
        new HeaderSection(),
        new TargetsSection(),
        new ThroughputSection(),
        new OverheadSection(),
        new PyTorchSection(),
        new PreviewsSection(),
        new PeakSection(),
        new PlotsSection(),
        new MethodSection(),
    ];

    /// <summary>The section's markdown (without its markers).</summary>
    public static string Markdown(Analysis a, IReadOnlyList<Target> targets, string jsonName, IReadOnlyList<string> plots)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(plots);
        var context = new ReportContext(a, targets, jsonName, plots);
        var md = new StringBuilder();
        foreach (IReportSection section in Sections)
        {
            section.Write(md, context);
        }
        return md.ToString();
    }

    /// <summary>The console summary: the targets and the main table, short.</summary>
    public static string ConsoleSummary(BenchResult result)
    {
        var a = new Analysis(result);
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"{"configuration",-44} {"img/s",7} {"p50 s",6} {"p99 s",6} {"TTFS p50 ms",11} {"p99 ms",7} {"depth",6} {"err",4}");
        foreach (ConfigSummary c in a.Configs)
        {
            sb.AppendLine(Inv, $"{c.Config.Key,-44} {N(c.ImagesPerSecond.Median, "F2"),7} {N(c.LatencyP50.Median, "F2"),6} {N(c.LatencyP99.Median, "F2"),6} {N(c.FirstStepP50.Median * 1000, "F0"),11} {N(c.FirstStepP99.Median * 1000, "F0"),7} {N(c.MeanExitLayer.Median, "F2"),6} {c.Errors,4}");
        }
        sb.AppendLine();
        foreach (Target t in Targets.Evaluate(a))
        {
            sb.AppendLine(Inv, $"[{t.StatusText,-12}] {t.Group}: {t.Name}: {t.FigureText} (target {t.LimitText})");
        }
        sb.AppendLine(Inv, $"PyTorch: {result.PyTorch.Reason}.");
        return sb.ToString();
    }
}
