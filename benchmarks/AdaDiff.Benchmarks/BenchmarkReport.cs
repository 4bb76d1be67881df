using System.Text;
using AdaDiff.Benchmarks.Reporting;

namespace AdaDiff.Benchmarks;

/// <summary>The markdown of a benchmark run (its JSON beside it holds every round), section by section.</summary>
internal static class BenchmarkReport
{
    /// <summary>The sections, in order.</summary>
    private static readonly Action<StringBuilder, ReportContext>[] Sections =
    [
        HeaderSection.Write,
        ImagesPerSecondSection.Write,
        ExitSavingsSection.Write,
        CallTimesSection.Write,
        NotesSection.Write,
    ];

    /// <summary>The report of <paramref name="run"/>, its configurations in the command line's order, at <paramref name="minLayers"/>.</summary>
    public static string Markdown(BenchmarkRun run, IReadOnlyList<string> configs, int minLayers)
    {
        var context = new ReportContext(run, configs, minLayers);
        var md = new StringBuilder();
        foreach (Action<StringBuilder, ReportContext> section in Sections)
        {
            section(md, context);
        }
        return md.ToString();
    }
}
