using System.Text;
using AdaDiff.Evaluation.Reporting.Sections;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting;

/// <summary>The markdown report and the console summary of an <see cref="EvalReport"/>.</summary>
internal static class ReportWriter
{
    /// <summary>The sections of the markdown report, in order; each writes nothing when the report lacks its data.</summary>
    public static IReadOnlyList<IReportSection> Sections { get; } =
    [
        new HeaderSection(),
        new HeadlineSection(),
        new TargetsSection(),
        new MethodSection(),
        new CertaintySection(),
        new ParetoSection(),
        new EqualDepthSection(),
        new ScheduleSection(),
        new BaselineSection(),
        new StepsSection(),
        new ConfigurationsSection(),
        new HeatmapSection(),
        new SamplesSection(),
        new FloorsSection(),
        new NotCoveredSection(),
    ];

    /// <summary>A few lines for standard output.</summary>
    public static string Summary(EvalReport report)
    {
        var sb = new StringBuilder();
        double floor = FloorAt(report, report.Settings.Samples) ?? double.NaN;
        sb.AppendLine(Inv, $"classifier test accuracy {report.Classifier.TestAccuracy:P2}; real-vs-real floor (N={report.Settings.Samples}) {floor:F3}");
        foreach (RunRecord r in report.Runs)
        {
            sb.AppendLine(Inv, $"{r.Id,-36} layers {r.MeanLayers,6:F2}  accel {r.AccelerationRatio,6:P1}  FID {Num(r.Fid, "F3"),8}  acc {Pct(r.ClassAccuracy),7}  PSNR {Num(r.PsnrVsFull, "F2"),6}");
        }
        if (report.Targets is { } t)
        {
            sb.AppendLine(Inv, $"targets on N = {t.Samples} at threshold {t.Selection.Threshold:0.####}:");
            foreach (TargetCheck c in t.Checks)
            {
                sb.AppendLine(Inv, $"  [{(c.Met ? "met" : "MISSED")}] {c.Target}: {c.Measured}");
            }
        }
        sb.Append(Inv, $"{report.WallSeconds / 60:F1} min");
        return sb.ToString();
    }

    /// <summary>The markdown report; <paramref name="pictureFolder"/> is the output folder relative to the markdown file.</summary>
    public static string Markdown(EvalReport report, string pictureFolder)
    {
        var context = new ReportContext(report, pictureFolder);
        var markdown = new StringBuilder();
        foreach (IReportSection section in Sections)
        {
            section.Write(markdown, context);
        }
        return markdown.ToString();
    }
}
