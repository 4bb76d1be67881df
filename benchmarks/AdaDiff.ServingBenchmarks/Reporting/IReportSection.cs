using System.Text;

namespace AdaDiff.ServingBenchmarks.Reporting;

/// <summary>One part of the serving report, written from the result set alone (so that <c>--report-from</c> rewrites it).</summary>
internal interface IReportSection
{
    /// <summary>Appends the section (nothing when the run has no data for it).</summary>
    void Write(StringBuilder markdown, ReportContext context);
}
