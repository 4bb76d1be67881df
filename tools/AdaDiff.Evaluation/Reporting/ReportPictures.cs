using AdaDiff.Engine;
using AdaDiff.Evaluation.Internal;

namespace AdaDiff.Evaluation.Reporting;

/// <summary>Writes the report's pictures and returns their file names (relative to the output folder).</summary>
internal static class ReportPictures
{
    public const string Pareto = "pareto.png";
    public const string ParetoZoom = "pareto-zoom.png";
    public const string Heatmap = "exit-heatmap.png";
    public const string SamplesFull = "samples-full.png";
    public const string SamplesAdaptive = "samples-adaptive.png";
    public const string UnconditionalFull = "unconditional-full.png";
    public const string UnconditionalAdaptive = "unconditional-adaptive.png";

    /// <summary>Images per class in the sample grids.</summary>
    public const int PerClass = 8;

    public static List<string> Write(string folder, EvalReport report, GeneratedSet full, GeneratedSet adaptive, GeneratedSet? uncondFull, GeneratedSet? uncondAdaptive, ModelManifest manifest)
    {
        List<string> written = WritePlots(folder, report);
        ImageGrid.Write(Path.Combine(folder, SamplesFull), full.Images, manifest.Height, manifest.Width, ClassRows(full, manifest.NumClasses), labelRows: true);
        ImageGrid.Write(Path.Combine(folder, SamplesAdaptive), adaptive.Images, manifest.Height, manifest.Width, ClassRows(adaptive, manifest.NumClasses), labelRows: true);
        written.Add(SamplesFull);
        written.Add(SamplesAdaptive);
        if (uncondFull is not null && uncondAdaptive is not null)
        {
            ImageGrid.Write(Path.Combine(folder, UnconditionalFull), uncondFull.Images, manifest.Height, manifest.Width, Rows(uncondFull.Spec.Samples), labelRows: false);
            ImageGrid.Write(Path.Combine(folder, UnconditionalAdaptive), uncondAdaptive.Images, manifest.Height, manifest.Width, Rows(uncondAdaptive.Spec.Samples), labelRows: false);
            written.Add(UnconditionalFull);
            written.Add(UnconditionalAdaptive);
        }
        return written;
    }

    /// <summary>The pictures drawn from the report's figures alone (each section's plots), so that <c>eval render</c> can redraw them.</summary>
    public static List<string> WritePlots(string folder, EvalReport report) =>
        [.. ReportWriter.Sections.SelectMany(section => section.WritePlots(folder, report))];

    private static List<int[]> ClassRows(GeneratedSet set, int classes)
    {
        var rows = new List<int[]>();
        for (int c = 0; c < classes; c++)
        {
            var row = new List<int>();
            for (int i = 0; i < set.Labels.Length && row.Count < PerClass; i++)
            {
                if (set.Labels[i] == c)
                {
                    row.Add(i);
                }
            }
            rows.Add([.. row]);
        }
        return rows;
    }

    private static List<int[]> Rows(int count)
    {
        var rows = new List<int[]>();
        for (int start = 0; start < count; start += PerClass)
        {
            rows.Add(Enumerable.Range(start, Math.Min(PerClass, count - start)).ToArray());
        }
        return rows;
    }
}
