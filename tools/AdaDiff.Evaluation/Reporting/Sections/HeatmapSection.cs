using System.Text;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>Where images exit at each step of the chosen threshold's run: the heatmap and its mean exit layer.</summary>
internal sealed class HeatmapSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        if (context.Report.Heatmap is not { } h)
        {
            return;
        }
        double middle = h.MeanExitLayer.Length > 0 ? h.MeanExitLayer[h.MeanExitLayer.Length / 2] : 0;
        markdown.AppendLine("## Exit layer against timestep");
        markdown.AppendLine();
        markdown.AppendLine(Inv, $"![Exit heatmap]({context.Picture(ReportPictures.Heatmap)})");
        markdown.AppendLine();
        markdown.AppendLine(Inv, $"Run `{h.RunId}`. Columns: sampling steps from the first (t = {h.Timesteps.FirstOrDefault()}, left) to the last (t = {h.Timesteps.LastOrDefault()}, right), x ticks labelled with the timestep; rows: exit layer 1 (bottom) to {context.Depth} (top), labelled. Shade: fraction of images exiting there (white 0 → dark blue 1); red dot: mean exit layer of the step. Mean exit layer over the first, middle and last step: {h.MeanExitLayer.FirstOrDefault():F2}, {middle:F2}, {h.MeanExitLayer.LastOrDefault():F2}.");
        markdown.AppendLine();
    }

    public IEnumerable<string> WritePlots(string folder, EvalReport report)
    {
        if (report.Heatmap is not { } h)
        {
            return [];
        }
        Plots.Heatmap(Path.Combine(folder, ReportPictures.Heatmap), h.Timesteps, h.Fractions, h.MeanExitLayer, report.Model.Depth);
        return [ReportPictures.Heatmap];
    }
}
