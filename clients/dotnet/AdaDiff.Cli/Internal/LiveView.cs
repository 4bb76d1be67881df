using System.Globalization;
using AdaDiff.Client;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace AdaDiff.Cli.Internal;

/// <summary>What a terminal shows while generating: step, timestep, each image's exit depth as a bar, the running acceleration ratio.</summary>
internal sealed class LiveView(int totalSteps, int images, string model)
{
    private const int BarWidth = 26;
    private StepProgress? last;

    public void Update(StepProgress step) => last = step;

    public IRenderable Render()
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn(new GridColumn());
        if (last is null)
        {
            grid.AddRow(new Markup("[grey]waiting for the first step…[/]"), new Text(""));
            return new Panel(grid).Header($"adadiff · {Markup.Escape(model)} · {images} image(s)").RoundedBorder();
        }
        StepProgress s = last;
        uint full = s.Update.FullDepth;
        int done = s.StepsSoFar;
        int total = Math.Max(totalSteps, done);
        grid.AddRow(new Markup("[bold]step[/]"), new Markup(string.Create(CultureInfo.InvariantCulture,
            $"{Bar(done, total, "deepskyblue1")} {done}/{total}  t={s.Update.Timestep}  {s.Update.ElapsedSeconds:F1} s")));
        for (int i = 0; i < s.ExitLayers.Count; i++)
        {
            uint layer = s.ExitLayers[i];
            string color = layer * 3 <= full ? "green" : layer * 3 <= 2 * full ? "yellow" : "red";
            grid.AddRow(new Markup($"image {i}"), new Markup(string.Create(CultureInfo.InvariantCulture,
                $"{Bar((int)layer, (int)full, color)} exit {layer,2}/{full}")));
        }
        grid.AddRow(new Markup("[bold]saved[/]"), new Markup(string.Create(CultureInfo.InvariantCulture,
            $"{Bar((int)Math.Round(s.AccelerationRatio * 1000), 1000, "mediumpurple")} acceleration ratio {s.AccelerationRatio:P1} ({s.LayersExecuted}/{s.LayersFull} layers)")));
        return new Panel(grid).Header($"adadiff · {Markup.Escape(model)} · {images} image(s)").RoundedBorder();
    }

    private static string Bar(int value, int max, string color)
    {
        int filled = max <= 0 ? 0 : Math.Clamp((int)Math.Round((double)value * BarWidth / max), 0, BarWidth);
        return $"[{color}]{new string('█', filled)}[/][grey23]{new string('░', BarWidth - filled)}[/]";
    }
}
