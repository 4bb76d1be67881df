using System.Text;
using static AdaDiff.Evaluation.Reporting.ReportFormat;

namespace AdaDiff.Evaluation.Reporting.Sections;

/// <summary>The chosen threshold against full depth, and the swept point nearest the paper's 45% fewer layers.</summary>
internal sealed class HeadlineSection : IReportSection
{
    public void Write(StringBuilder markdown, ReportContext context)
    {
        EvalSettings s = context.Settings;
        RunRecord full = context.Full;
        int depth = context.Depth;
        markdown.AppendLine("## Headline");
        markdown.AppendLine();
        if (context.Floor is double fl && full.Fid is double ff && ff > 10 * fl)
        {
            markdown.AppendLine(Inv, $"**The full-depth model is far from the data: its FID-proxy is {ff / fl:F0}× the real-vs-real floor and its class accuracy {Pct(full.ClassAccuracy)} (chance: {1.0 / context.Classes:0%}). Differences between exit policies below are differences between poor generators, not evidence for or against the paper's claim.**");
            markdown.AppendLine();
        }
        if (context.PictureRun is { } pictureRun)
        {
            markdown.AppendLine(Inv, $"At threshold {s.PictureThreshold:0.####} (min layers {s.MinLayers}) with {SamplerName(s.Sampler)}-{s.Steps}, per-sample exits ran **{pictureRun.MeanLayers:F2} of {depth} layers** on average (acceleration ratio **{pictureRun.AccelerationRatio:P1}**, FLOPs {pictureRun.FlopsRatio:P1} of full depth incl. exit heads) for a FID-proxy of **{Num(pictureRun.Fid, "F3")}** against **{Num(full.Fid, "F3")}** at full depth (real-vs-real floor at this N: {Num(context.Floor, "F3")}); class accuracy {Pct(pictureRun.ClassAccuracy)} vs {Pct(full.ClassAccuracy)}; PSNR against the full-depth images of the same seeds {Num(pictureRun.PsnrVsFull, "F2")} dB.");
            markdown.AppendLine();
        }
        EqualDepthRecord? near45 = context.Report.EqualDepth.OrderBy(e => Math.Abs((1 - (e.MeanLayers / depth)) - 0.45)).FirstOrDefault();
        if (near45 is not null)
        {
            markdown.AppendLine(Inv, $"The paper claims about 45% fewer layers at a FID on par with the full model. The swept point closest to 45% fewer layers here is threshold {near45.Threshold:0.####}: {1 - (near45.MeanLayers / depth):P1} fewer layers, FID-proxy {near45.FidPerSample:F3} vs {Num(full.Fid, "F3")} at full depth (static truncation at the same mean depth: {Num(near45.FidStatic, "F3")}; per-batch decision: {Num(near45.FidPerBatch, "F3")}).");
            markdown.AppendLine();
        }
    }
}
