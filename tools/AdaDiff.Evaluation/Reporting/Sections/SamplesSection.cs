using System.Globalization;
using System.Text;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>
/// The sample grids: images per class at full depth and with per-sample exits, and unconditional ones. The grids are
/// drawn at evaluation time from the images (<see cref="ReportPictures.Write"/>); the report holds no images.
/// </summary>
internal sealed class SamplesSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        IReadOnlyList<string> names = context.Report.Model.ClassNames;
        string rows = names.Count > 0
            ? string.Create(Inv, $"rows labelled 0–{names.Count - 1}: {string.Join(", ", names)}")
            : string.Create(Inv, $"rows labelled with the class index 0–{context.Classes - 1}");
        markdown.AppendLine("## Samples");
        markdown.AppendLine();
        markdown.AppendLine(Inv, $"{Capitalised(ReportPictures.PerClass)} images per class ({rows}), the same seeds in both grids.");
        markdown.AppendLine();
        markdown.AppendLine("| full depth | per-sample exits |");
        markdown.AppendLine("|---|---|");
        markdown.AppendLine(Inv, $"| ![full depth]({context.Picture(ReportPictures.SamplesFull)}) | ![adaptive]({context.Picture(ReportPictures.SamplesAdaptive)}) |");
        markdown.AppendLine();
        if (context.Report.Pictures.Contains(ReportPictures.UnconditionalFull))
        {
            markdown.AppendLine("Unconditional samples (no class label):");
            markdown.AppendLine();
            markdown.AppendLine("| full depth | per-sample exits |");
            markdown.AppendLine("|---|---|");
            markdown.AppendLine(Inv, $"| ![unconditional full]({context.Picture(ReportPictures.UnconditionalFull)}) | ![unconditional adaptive]({context.Picture(ReportPictures.UnconditionalAdaptive)}) |");
            markdown.AppendLine();
        }
    }

    private static string Capitalised(int count) => count switch
    {
        8 => "Eight",
        _ => count.ToString(CultureInfo.InvariantCulture),
    };
}
