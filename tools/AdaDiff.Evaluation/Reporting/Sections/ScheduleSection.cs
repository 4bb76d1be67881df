using System.Text;
using AdaDiff.Evaluation.Internal;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>The timestep-schedule run against the per-sample exits it was derived from and the curves at its mean depth.</summary>
internal sealed class ScheduleSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        EvalSettings s = context.Settings;
        RunRecord? schedule = context.Report.Runs.FirstOrDefault(r => r.Group == "schedule");
        if (schedule?.DepthSchedule is not { } depths)
        {
            return;
        }
        RunRecord full = context.Sweep("full").First();
        RunRecord? perSample = context.Sweep("adaptive").FirstOrDefault(r => r.Threshold == s.PictureThreshold);
        List<RunRecord> adaptive = [.. context.Sweep("adaptive").Append(full)];
        List<RunRecord> statics = [.. context.Sweep("static").Append(full)];
        double? At(List<RunRecord> runs, Func<RunRecord, double?> y) => Curves.Interpolate(Curves.Curve(runs, y), schedule.MeanLayers);
        double? perSampleFid = At(adaptive, r => r.Fid), perSampleAccuracy = At(adaptive, r => r.ClassAccuracy);
        double? staticFid = statics.Count > 1 ? At(statics, r => r.Fid) : null;
        double? staticAccuracy = statics.Count > 1 ? At(statics, r => r.ClassAccuracy) : null;

        markdown.AppendLine("## Per-sample exits against a timestep schedule");
        markdown.AppendLine();
        markdown.AppendLine(Inv, $"Does the per-sample decision beat a depth that depends on the step alone? The schedule runs every image at step k to the depth the per-sample exits at threshold {s.PictureThreshold:0.####} took on average at step k (rounded), with no uncertainty heads and the same seeds. Steps in sampling order (first = most noise), depth × consecutive steps: {RunLengths(depths)}.");
        markdown.AppendLine();
        markdown.AppendLine("| policy | mean layers | FID-proxy | class acc. | PSNR vs full (dB) | FLOPs ratio |");
        markdown.AppendLine("|---|---:|---:|---:|---:|---:|");
        if (perSample is not null)
        {
            markdown.AppendLine(Inv, $"| per-sample exits, t={perSample.Threshold:0.####} | {perSample.MeanLayers:F2} | {Num(perSample.Fid, "F3")} | {Pct(perSample.ClassAccuracy)} | {Num(perSample.PsnrVsFull, "F2")} | {perSample.FlopsRatio:P1} |");
        }
        markdown.AppendLine(Inv, $"| timestep schedule | {schedule.MeanLayers:F2} | {Num(schedule.Fid, "F3")} | {Pct(schedule.ClassAccuracy)} | {Num(schedule.PsnrVsFull, "F2")} | {schedule.FlopsRatio:P1} |");
        markdown.AppendLine(Inv, $"| per-sample exits at {schedule.MeanLayers:F2} layers (interpolated) | {schedule.MeanLayers:F2} | {Num(perSampleFid, "F3")} | {Pct(perSampleAccuracy)} | — | — |");
        markdown.AppendLine(Inv, $"| static truncation at {schedule.MeanLayers:F2} layers (interpolated) | {schedule.MeanLayers:F2} | {Num(staticFid, "F3")} | {Pct(staticAccuracy)} | — | — |");
        markdown.AppendLine();
        // The schedule's mean depth can fall just outside the swept curve (it is rounded from the run it copies):
        // then the run it was derived from is the comparison, at its own depth.
        string against = "the per-sample exits' at that depth";
        if (perSampleFid is null && perSample is not null && Math.Abs(perSample.MeanLayers - schedule.MeanLayers) <= 0.25)
        {
            perSampleFid = perSample.Fid;
            against = string.Create(Inv, $"the per-sample run it was derived from ({perSample.MeanLayers:F2} layers)");
        }
        if (perSampleFid is double p && schedule.Fid is double f)
        {
            markdown.AppendLine(Inv, $"The schedule's FID-proxy is {f - p:+0.000;-0.000} against {against}: {(f > p ? "the per-sample decision is better" : "the schedule is as good or better, so the uncertainty heads buy nothing a step-indexed depth does not")}. One set of seeds, without a confidence interval: repeat with a far-away `--seed` (e.g. 1000) before reading a small difference.");
            markdown.AppendLine();
        }
    }

    /// <summary>"6 ×37, 7, 8 ×2": each depth with the number of consecutive steps that run it.</summary>
    internal static string RunLengths(IReadOnlyList<int> depths)
    {
        var parts = new List<string>();
        for (int i = 0; i < depths.Count;)
        {
            int j = i;
            while (j < depths.Count && depths[j] == depths[i])
            {
                j++;
            }
            parts.Add(j - i == 1 ? depths[i].ToString(Inv) : string.Create(Inv, $"{depths[i]} ×{j - i}"));
            i = j;
        }
        return string.Join(", ", parts);
    }
}
