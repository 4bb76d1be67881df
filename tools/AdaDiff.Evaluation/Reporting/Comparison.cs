using System.Globalization;
using System.Text;
using System.Text.Json;
using AdaDiff.Evaluation.Internal;

namespace AdaDiff.Evaluation.Reporting;

/// <summary>One evaluation's results and the name it goes by in a comparison.</summary>
/// <param name="Label">Legend name.</param>
/// <param name="Path">Its results.json.</param>
/// <param name="Report">The results.</param>
internal sealed record ComparedReport(string Label, string Path, EvalReport Report);

/// <summary>
/// <c>adadiff-tools eval compare</c>: the per-sample sweeps of several evaluations (e.g. two UEMs on the same weights,
/// or a package trained without the layer-wise loss) on one Pareto plot beside the first one's static truncation and
/// per-batch rule, and a table of each point against that static truncation and against the first evaluation's
/// sweep at equal mean depth. The runs must share sampler, steps, sample size, seeds and guidance, so that they differ
/// only in their weights or exit decisions.
/// </summary>
internal static class Comparison
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly ScottPlot.Color[] Colors = [Plots.Blue, Plots.Green, Plots.Purple, Plots.Red];

    /// <summary>Reads <c>LABEL=PATH</c> entries (PATH a results.json or the folder holding one).</summary>
    public static List<ComparedReport> Read(IEnumerable<string> entries)
    {
        var reports = new List<ComparedReport>();
        foreach (string entry in entries)
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == entry.Length - 1)
            {
                throw new ArgumentException($"--runs: '{entry}' is not LABEL=PATH");
            }
            string label = entry[..eq].Trim(), path = entry[(eq + 1)..].Trim();
            if (Directory.Exists(path))
            {
                path = System.IO.Path.Combine(path, Evaluator.ResultsFileName);
            }
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"--runs: {path}: no results (run eval first)", path);
            }
            EvalReport report = JsonSerializer.Deserialize<EvalReport>(File.ReadAllText(path), JsonOutput.Options)
                ?? throw new InvalidDataException($"{path}: empty");
            reports.Add(new ComparedReport(label, path, report));
        }
        if (reports.Count < 2)
        {
            throw new ArgumentException("--runs: give at least two LABEL=PATH entries, comma-separated");
        }
        EvalSettings first = reports[0].Report.Settings;
        foreach (ComparedReport r in reports.Skip(1))
        {
            EvalSettings s = r.Report.Settings;
            if (s.Sampler != first.Sampler || s.Steps != first.Steps || s.Samples != first.Samples || s.Seed != first.Seed || s.Guidance != first.Guidance)
            {
                throw new ArgumentException($"{r.Path}: its sweep ({Describe(s)}) is not comparable with {reports[0].Path}'s ({Describe(first)}): sampler, steps, samples, seed and guidance must match");
            }
            if (r.Report.Model.Depth != reports[0].Report.Model.Depth)
            {
                throw new ArgumentException($"{r.Path}: depth {r.Report.Model.Depth} differs from {reports[0].Report.Model.Depth}");
            }
        }
        return reports;
    }

    /// <summary>Writes <c>OUT/pareto.png</c>, <c>OUT/pareto-zoom.png</c> and the markdown; returns the markdown's path.</summary>
    public static string Write(IReadOnlyList<ComparedReport> reports, string outDir, string markdownPath, string command)
    {
        Directory.CreateDirectory(outDir);
        EvalReport first = reports[0].Report;
        int depth = first.Model.Depth, samples = first.Settings.Samples;
        RunRecord full = Curves.Sweep(first, "full").Single();
        List<RunRecord> statics = [.. Curves.Sweep(first, "static").Append(full)];
        var staticFid = Curves.Curve(statics, r => r.Fid);
        var staticAccuracy = Curves.Curve(statics, r => r.ClassAccuracy);
        var firstFid = Curves.Curve(Curves.Sweep(first, "adaptive").Append(full), r => r.Fid);
        bool oneBackbone = reports.All(r => r.Report.Model.WeightsSha256 == first.Model.WeightsSha256);

        var series = new List<PlotSeries>
        {
            new("static truncation", Plots.Grey, [.. staticFid], Connect: true, Hollow: true),
        };
        List<RunRecord> perBatch = Curves.Sweep(first, "per-batch");
        if (perBatch.Count > 0)
        {
            series.Add(new PlotSeries($"per-batch ({reports[0].Label})", Plots.Orange, [.. perBatch.Select(r => (r.MeanLayers, r.Fid ?? double.NaN))], Connect: true, Hollow: true));
        }
        for (int i = 0; i < reports.Count; i++)
        {
            List<RunRecord> sweep = Curves.Sweep(reports[i].Report, "adaptive");
            series.Add(new PlotSeries(reports[i].Label, Colors[i % Colors.Length], [.. sweep.Select(r => (r.MeanLayers, r.Fid ?? double.NaN))], Connect: true));
        }
        double? floor = first.Floors.FirstOrDefault(f => f.Samples == samples)?.Fid;
        Plots.Pareto(System.IO.Path.Combine(outDir, "pareto.png"), series, floor, depth);
        Plots.Pareto(System.IO.Path.Combine(outDir, "pareto-zoom.png"), series, floor, depth, zoom: true);

        string markdownDir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(markdownPath)) ?? ".";
        string pictures = System.IO.Path.GetRelativePath(markdownDir, System.IO.Path.GetFullPath(outDir)).Replace('\\', '/');
        var sb = new StringBuilder();
        sb.AppendLine(oneBackbone ? "# Exit decisions compared on one backbone" : "# Exit decisions compared across weights");
        sb.AppendLine();
        sb.AppendLine("<!-- Generated by `adadiff-tools eval compare`; re-run the command below. -->");
        sb.AppendLine();
        sb.AppendLine(Inv, $"Reproduce: `{command}`");
        sb.AppendLine();
        sb.AppendLine(Inv, $"{SamplerName(first.Settings)}, guidance {first.Settings.Guidance:0.##}, N = {samples} class-conditional images per point (the same seeds in every run), real-vs-real floor at this N {floor?.ToString("F3", Inv) ?? "—"}. Static truncation, full depth and the per-batch rule are from the first evaluation{(oneBackbone ? "" : " (its weights)")}; every sweep below runs per-sample exits.");
        sb.AppendLine();
        sb.AppendLine("| evaluation | results | weights sha256 | min layers | full depth FID-proxy | full depth class accuracy |");
        sb.AppendLine("|---|---|---|---:|---:|---:|");
        foreach (ComparedReport r in reports)
        {
            RunRecord f = Curves.Sweep(r.Report, "full").Single();
            sb.AppendLine(Inv, $"| {r.Label} | `{System.IO.Path.GetRelativePath(markdownDir, System.IO.Path.GetFullPath(r.Path)).Replace('\\', '/')}` | {r.Report.Model.WeightsSha256?[..Math.Min(12, r.Report.Model.WeightsSha256.Length)]} | {r.Report.Settings.MinLayers} | {f.Fid:F3} | {f.ClassAccuracy:P1} |");
        }
        sb.AppendLine();
        sb.AppendLine(Inv, $"![FID-proxy against mean layers]({pictures}/pareto-zoom.png)");
        sb.AppendLine();
        sb.AppendLine(Inv, $"Legend: grey hollow = static truncation (FIXED_DEPTH); orange hollow = per-batch rule; {string.Join("; ", reports.Select((r, i) => $"{ColorName(i)} = {r.Label}"))}. Full y range: [pareto.png]({pictures}/pareto.png).");
        sb.AppendLine();
        sb.AppendLine("## Against static truncation at equal mean depth");
        sb.AppendLine();
        sb.AppendLine(Inv, $"Static truncation's FID-proxy and class accuracy are interpolated linearly between the whole depths measured, and so is the sweep of {reports[0].Label} (with its full depth). Lower FID-proxy is better; a negative Δ means the point beats truncation, or {reports[0].Label}, at that depth (— outside the measured range).");
        sb.AppendLine();
        sb.AppendLine(Inv, $"| evaluation | threshold | mean layers | fewer layers | FID-proxy | static at that depth | Δ FID-proxy | Δ vs {reports[0].Label} | class accuracy | static | PSNR vs full (dB) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var rows = new List<object>();
        foreach (ComparedReport r in reports)
        {
            foreach (RunRecord run in Curves.Sweep(r.Report, "adaptive"))
            {
                double? sf = Curves.Interpolate(staticFid, run.MeanLayers);
                double? sa = Curves.Interpolate(staticAccuracy, run.MeanLayers);
                double? ff = ReferenceEquals(r, reports[0]) ? null : Curves.Interpolate(firstFid, run.MeanLayers); // not against itself
                sb.AppendLine(Inv, $"| {r.Label} | {run.Threshold:0.####} | {run.MeanLayers:F2} | {run.AccelerationRatio:P1} | {run.Fid:F3} | {Num(sf, "F3")} | {Delta(run.Fid, sf)} | {Delta(run.Fid, ff)} | {run.ClassAccuracy:P1} | {(sa is double a ? a.ToString("P1", Inv) : "—")} | {run.PsnrVsFull:F2} |");
                rows.Add(new { evaluation = r.Label, run.Threshold, run.MeanLayers, run.AccelerationRatio, run.Fid, staticFid = sf, firstFid = ff, run.ClassAccuracy, staticAccuracy = sa, run.PsnrVsFull });
            }
        }
        File.WriteAllText(System.IO.Path.Combine(outDir, "comparison.json"), JsonSerializer.Serialize(new { command, rows }, JsonOutput.Options) + "\n");
        Directory.CreateDirectory(markdownDir);
        File.WriteAllText(markdownPath, sb.ToString());
        return markdownPath;
    }

    private static string Describe(EvalSettings s) => string.Create(Inv, $"{SamplerName(s)}, N = {s.Samples}, seed {s.Seed}, guidance {s.Guidance:0.##}");

    private static string SamplerName(EvalSettings s) => string.Create(Inv, $"{s.Sampler.ToString().ToUpperInvariant()}-{s.Steps}");

    private static string ColorName(int i) => (i % 4) switch { 0 => "blue", 1 => "green", 2 => "purple", _ => "red" };

    private static string Delta(double? value, double? reference) =>
        value is double v && reference is double r && double.IsFinite(v) && double.IsFinite(r) ? (v - r).ToString("+0.000;-0.000", Inv) : "—";

    private static string Num(double? value, string format) => value is double v ? v.ToString(format, Inv) : "—";
}
