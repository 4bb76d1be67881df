using System.Text;
using AdaDiff.Evaluation.Internal;
using AdaDiff.Evaluation.Metrics;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Text;

/// <summary>The markdown report and console summary of a <see cref="TextEvalReport"/>.</summary>
internal static class TextReportWriter
{
    /// <summary>A few lines for standard output.</summary>
    public static string Summary(TextEvalReport report)
    {
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"classifier test accuracy {report.Classifier.TestAccuracy:P2}; real-vs-real floor (N={report.Floor.Samples}) {report.Floor.Fid:F3}");
        foreach (TextRunRecord r in report.Runs)
        {
            sb.AppendLine(Inv, $"{r.Run.Id,-28} layers {r.Run.MeanLayers,6:F2}  saved {r.Run.AccelerationRatio,6:P1}  FID {Num(r.Run.Fid, "F3"),8}  agreement {Pct(r.Scores.Agreement),7}  all met {Pct(r.Scores.AllMet),7}");
        }
        sb.Append(Inv, $"chosen threshold {report.Selection.Threshold:0.####} (quality bar {(report.Selection.MetQualityBar ? "met" : "not met")}); {report.WallSeconds / 60:F1} min");
        return sb.ToString();
    }

    /// <summary>The markdown; <paramref name="pictureFolder"/> is the output folder relative to the markdown file.</summary>
    public static string Markdown(TextEvalReport report, string pictureFolder)
    {
        var md = new StringBuilder();
        TextRunRecord full = report.Runs[0];
        TextRunRecord chosen = report.Runs.First(r => r.Run.Id == report.Selection.RunId);
        Header(md, report);
        Headline(md, report, full, chosen);
        Attributes(md, report, full, chosen);
        Sweep(md, report, full);
        Grid(md, report, pictureFolder);
        Prompts(md, report);
        Method(md, report);
        return md.ToString();
    }

    private static void Header(StringBuilder md, TextEvalReport report)
    {
        TextEvalSettings s = report.Settings;
        md.AppendLine("# Results: the text-conditioned model at full depth and with adaptive exits").AppendLine();
        md.AppendLine(Inv, $"Written by `{report.Command}` ({report.StartedUtc:yyyy-MM-dd HH:mm} UTC, {report.WallSeconds / 60:F1} min). Model `{report.Model.Name}` ({report.Model.Path}, {report.Model.Depth} layers): {report.Model.WeightsNote}.").AppendLine();
        md.AppendLine(Inv, $"{s.Samples} prompts, one image each, {SamplerName(s.Sampler)} {s.Steps} steps, guidance scale {s.Guidance:0.##}, earliest exit layer {s.MinLayers}, seed {s.Seed}, on {BackendName(s.Backend)}. Classifier `{report.Classifier.Path}` (test accuracy {report.Classifier.TestAccuracy:P2}).").AppendLine();
    }

    private static void Headline(StringBuilder md, TextEvalReport report, TextRunRecord full, TextRunRecord chosen)
    {
        md.AppendLine("## Headline").AppendLine();
        md.AppendLine("| | full depth | adaptive (chosen threshold) |");
        md.AppendLine("|---|---:|---:|");
        md.AppendLine(Inv, $"| threshold | — | {report.Selection.Threshold:0.####} |");
        md.AppendLine(Inv, $"| prompt agreement (classifier = named class, N = {full.Scores.ClassNamed}) | {Pct(full.Scores.Agreement)} | {Pct(chosen.Scores.Agreement)} |");
        md.AppendLine(Inv, $"| prompt met in full (class and every attribute named) | {Pct(full.Scores.AllMet)} | {Pct(chosen.Scores.AllMet)} |");
        md.AppendLine(Inv, $"| FID-proxy [95% bootstrap interval] (real-vs-real floor {report.Floor.Fid:F2} at N = {report.Floor.Samples}) | {Num(full.Run.Fid, "F2")}{Interval(full.Run.FidInterval)} | {Num(chosen.Run.Fid, "F2")}{Interval(chosen.Run.FidInterval)} |");
        md.AppendLine(Inv, $"| mean exit depth (layers per image-step) | {full.Run.MeanLayers:F2} | {chosen.Run.MeanLayers:F2} |");
        md.AppendLine(Inv, $"| layers saved (acceleration ratio) | {Pct(full.Run.AccelerationRatio)} | {Pct(chosen.Run.AccelerationRatio)} |");
        md.AppendLine(Inv, $"| FLOPs executed / full depth | {Pct(full.Run.FlopsRatio)} | {Pct(chosen.Run.FlopsRatio)} |");
        md.AppendLine(Inv, $"| GFLOPs per image (all steps, guidance rows) | {full.GflopsPerImage:F2} | {chosen.GflopsPerImage:F2} |");
        md.AppendLine(Inv, $"| PSNR against full depth (dB) | — | {Num(chosen.Run.PsnrVsFull, "F2")} |");
        md.AppendLine();
        md.AppendLine(Inv, $"Threshold rule: {report.Selection.Rule}. Quality bar {(report.Selection.MetQualityBar ? "met" : "**not met** (the most conservative swept threshold is shown)")}.").AppendLine();
    }

    private static void Attributes(StringBuilder md, TextEvalReport report, TextRunRecord full, TextRunRecord chosen)
    {
        md.AppendLine("## What the prompts name, measured on the images").AppendLine();
        md.AppendLine("| slot | prompts naming it | full depth | adaptive | chance: generated, slot not named | chance: test set |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|");
        for (int i = 0; i < full.Scores.Slots.Count; i++)
        {
            SlotScore f = full.Scores.Slots[i], a = chosen.Scores.Slots[i];
            md.AppendLine(Inv, $"| {PromptSlots.Name(f.Slot)} | {f.Named} | {Pct(f.Accuracy)} | {Pct(a.Accuracy)} | {Pct(f.ChanceGenerated)} | {Pct(f.ChanceTestSet)} |");
        }
        md.AppendLine();
        md.AppendLine(Inv, $"Each cell is the share of images whose measured value is the one their prompt names (class: the classifier's; attributes: "
            + $"`ImageAttributes.MeasureModelOutput` bucketed by `AttributeThresholds.FashionMnist`). The two chance rates are what a prompt that "
            + $"did not ask would get: *generated* scores each naming prompt's value against the images of the same run generated for the prompts "
            + $"that do not name the slot (the column shows full depth's); *test set* against the same measurement on the {report.Prompts.TestImages:N0} test images (the classifier's classes, their pixels' buckets).").AppendLine();
    }

    private static void Sweep(StringBuilder md, TextEvalReport report, TextRunRecord full)
    {
        md.AppendLine("## Threshold sweep").AppendLine();
        md.AppendLine("| run | threshold | mean layers | layers saved | FLOPs ratio | FID-proxy | agreement | all met | PSNR vs full | within bar |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        RunRecord fullAsClass = full.Run with { Samples = full.Scores.ClassNamed };
        foreach (TextRunRecord r in report.Runs)
        {
            string bar = r.Run.Threshold is null ? "—" : ThresholdSelection.MeetsBar(fullAsClass, r.Run) ? "yes" : "no";
            string mark = r.Run.Id == report.Selection.RunId ? " **(chosen)**" : "";
            md.AppendLine(Inv, $"| {r.Run.Id}{mark} | {(r.Run.Threshold is float t ? t.ToString("0.####", Inv) : "full")} | {r.Run.MeanLayers:F2} | {Pct(r.Run.AccelerationRatio)} | {Pct(r.Run.FlopsRatio)} | {Num(r.Run.Fid, "F2")} | {Pct(r.Scores.Agreement)} | {Pct(r.Scores.AllMet)} | {Num(r.Run.PsnrVsFull, "F2")} | {bar} |");
        }
        md.AppendLine();
        md.AppendLine(Inv, $"Thresholds {(report.Probe.Choices.Count > 0 ? $"chosen on a certainty probe of {report.Probe.Rows} noised test images with their captions to save {string.Join(", ", report.Probe.Choices.Select(c => c.TargetSaved.ToString("P0", Inv)))} of the layers, plus the model's default" : "given with --thresholds")}. \"Within bar\" is judged without the selection's margin.").AppendLine();
    }

    private static void Grid(StringBuilder md, TextEvalReport report, string pictureFolder)
    {
        TextGridRecord g = report.Grid;
        md.AppendLine("## Hand-written prompts").AppendLine();
        md.AppendLine(Inv, $"One row a prompt, one column a seed ({report.Settings.GridSeeds}). Full depth, each image marked \"met\" when it measures everything its prompt names:").AppendLine();
        md.AppendLine(Inv, $"![grid at full depth]({pictureFolder}/{g.FullPicture})").AppendLine();
        md.AppendLine(Inv, $"Adaptive at threshold {g.Threshold:0.####}, each image captioned with its mean exit depth (✓ where it meets its prompt):").AppendLine();
        md.AppendLine(Inv, $"![grid with adaptive exits]({pictureFolder}/{g.AdaptivePicture})").AppendLine();
        md.AppendLine("| prompt | names | mean exit depth per seed | met (full) | met (adaptive) |");
        md.AppendLine("|---|---|---|---:|---:|");
        foreach (GridRowRecord r in g.Rows)
        {
            md.AppendLine(Inv, $"| {r.Prompt} | {r.Names} | {string.Join(" ", r.MeanExitDepths.Select(d => d.ToString("0.0", Inv)))} | {r.MetFull.Count(m => m)}/{r.MetFull.Length} | {r.MetAdaptive.Count(m => m)}/{r.MetAdaptive.Length} |");
        }
        md.AppendLine();
    }

    private static void Prompts(StringBuilder md, TextEvalReport report)
    {
        PromptSetRecord p = report.Prompts;
        md.AppendLine("## The prompts").AppendLine();
        md.AppendLine(Inv, $"{p.Count} captions of as many distinct test images (a seeded shuffle of the split's {p.TestImages:N0}), written by the training captions' `CaptionGenerator` from each image's label and measured attributes, so the prompts are distributed as the data is: {p.ClassNamed} ({(double)p.ClassNamed / Math.Max(p.Count, 1):P1}) name a class; {string.Join(", ", p.AttributeCounts.Select((c, k) => $"{c} name {k}"))} attributes. The first few:").AppendLine();
        foreach (string e in p.Examples)
        {
            md.AppendLine(Inv, $"- {e}");
        }
        md.AppendLine();
    }

    private static void Method(StringBuilder md, TextEvalReport report)
    {
        md.AppendLine("## Method").AppendLine();
        md.AppendLine("- Every configuration generates one image per drawn prompt from the same seeds; the thresholds differ only in the exits.");
        md.AppendLine(Inv, $"- FID-proxy: Fréchet distance between the classifier's {Classifier.FashionClassifier.FeatureDim}-wide features of the images and of the test split; the floor is {report.Floor.Samples} training images against the test split, what a perfect generator would score at that N.");
        md.AppendLine("- Layers saved and FLOPs come from the engine's compute ledger (exit heads included); the mean exit depth of a grid image is its exit layer averaged over its steps.");
        md.AppendLine("- The model was trained on captions of the training split; these are captions of the test split by the same generator, so combinations the training set lacks (a wide trouser) are as rare here as there.");
    }

    /// <summary>" [low, high]" of an interval; empty without one.</summary>
    private static string Interval(ConfidenceInterval? interval) =>
        interval is null ? "" : string.Create(Inv, $" [{interval.Low:F2}, {interval.High:F2}]");
}
