using ScottPlot;
using SkiaSharp;

namespace AdaDiff.Evaluation.Reporting;

/// <summary>
/// The one typeface of every picture the evaluation draws: DejaVu Sans, shipped inside the assembly
/// (<c>Reporting/Fonts</c>, with its licence), so that the plots carry their text on any machine. SkiaSharp's Linux
/// build without fontconfig only finds fonts under /usr/share/fonts, and a container without fonts would draw plots
/// with no text at all, silently.
/// </summary>
internal static class PlotFont
{
    /// <summary>The family name ScottPlot knows the typeface by.</summary>
    public const string Family = "DejaVu Sans";

    private const string Resource = "AdaDiff.Evaluation.Fonts.DejaVuSans.ttf";
    private static readonly Lock Gate = new();
    private static readonly Lazy<SKTypeface> Loaded = new(Load);
    private static bool registered;

    /// <summary>The shipped typeface.</summary>
    public static SKTypeface Typeface => Loaded.Value;

    /// <summary>Makes ScottPlot draw every text of plots created from now on in the shipped typeface.</summary>
    public static void UseInScottPlot()
    {
        lock (Gate)
        {
            if (registered)
            {
                return;
            }
            Fonts.FontResolvers.Insert(0, new Resolver());
            Fonts.Default = Family;
            Fonts.Sans = Family;
            registered = true;
        }
    }

    private static SKTypeface Load()
    {
        using Stream stream = typeof(PlotFont).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"the plot font {Resource} is not in {typeof(PlotFont).Assembly.GetName().Name}");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        using SKData data = SKData.CreateCopy(buffer.ToArray());
        return SKTypeface.FromData(data) ?? throw new InvalidOperationException($"{Resource}: not a font SkiaSharp can read");
    }

    /// <summary>Answers ScottPlot's requests for <see cref="Family"/> (any weight or slant: the regular face).</summary>
    private sealed class Resolver : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) => fontName == Family ? Typeface : null;

        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) => fontName == Family ? Typeface : null;
    }
}
