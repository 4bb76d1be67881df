using AdaDiff.Evaluation.Internal;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>What the sections of one markdown report share: the report, its main runs, and where its pictures are.</summary>
internal sealed class ReportContext
{
    private readonly string pictureFolder;

    /// <param name="report">The results.</param>
    /// <param name="pictureFolder">The output folder relative to the markdown file.</param>
    public ReportContext(EvalReport report, string pictureFolder)
    {
        Report = report;
        this.pictureFolder = pictureFolder;
        Full = report.Runs.First(r => r.Group == "full");
        PictureRun = report.Runs.FirstOrDefault(r => r.Group == "adaptive" && r.Threshold == report.Settings.PictureThreshold);
        Floor = ReportFormat.FloorAt(report, report.Settings.Samples);
    }

    public EvalReport Report { get; }

    public EvalSettings Settings => Report.Settings;

    public int Depth => Report.Model.Depth;

    /// <summary>The first full-depth run (the main sampler's).</summary>
    public RunRecord Full { get; }

    /// <summary>The per-sample run at the threshold of the targets and pictures, if swept.</summary>
    public RunRecord? PictureRun { get; }

    /// <summary>The real-vs-real floor at the sweep's sample size.</summary>
    public double? Floor { get; }

    /// <summary>Classes of the model: the names its manifest gives, else their indices.</summary>
    public int Classes => Report.Model.ClassNames.Count > 0 ? Report.Model.ClassNames.Count : 10;

    /// <summary>The link to picture <paramref name="name"/> from the markdown file.</summary>
    public string Picture(string name) => (pictureFolder is "." or "" ? name : $"{pictureFolder}/{name}").Replace('\\', '/');

    /// <summary>The main sampler's sweep of <paramref name="group"/> (see <see cref="Curves.Sweep"/>).</summary>
    public List<RunRecord> Sweep(string group) => Curves.Sweep(Report, group);
}
