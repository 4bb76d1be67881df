using System.Text;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>
/// One part of the markdown report: its text and tables, and the plots it shows, both drawn from the report alone so
/// that <c>eval render</c> can rewrite them from <c>results.json</c>.
/// </summary>
internal interface IReportSection
{
    /// <summary>Appends the section (nothing when the report has no data for it).</summary>
    void Write(StringBuilder markdown, ReportContext context);

    /// <summary>Draws the section's plots into <paramref name="folder"/>; returns their file names.</summary>
    IEnumerable<string> WritePlots(string folder, EvalReport report) => [];
}
