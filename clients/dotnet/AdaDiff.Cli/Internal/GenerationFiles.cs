using System.Globalization;
using AdaDiff.Client;
using AdaDiff.Grpc.V1;
using SkiaSharp;

namespace AdaDiff.Cli.Internal;

/// <summary>What <c>adadiff generate</c> writes into its folder: each image as a PNG, the denoising strip, and stats.json.</summary>
internal static class GenerationFiles
{
    /// <summary>Writes the files and says each (a line, or an event with --json), then the result's summary.</summary>
    public static async Task WriteAsync(GenerationResult result, DenoisingStrip strip, List<uint[]> exitsPerStep, string outDir, Output output)
    {
        Directory.CreateDirectory(outDir);
        for (int i = 0; i < result.Images.Count; i++)
        {
            GeneratedImage image = result.Images[i];
            string path = Path.Combine(outDir, $"image-{i}-seed{image.Seed}.png");
            await File.WriteAllBytesAsync(path, image.Png.ToByteArray());
            if (output.Json)
            {
                await output.Events.FileAsync("image", path, i, image.Seed);
            }
            else
            {
                await output.Out.WriteLineAsync($"wrote {path}");
            }
        }
        using (SKBitmap? sheet = strip.Render())
        {
            if (sheet is not null)
            {
                string stripPath = Path.Combine(outDir, "strip.png");
                using (SKData png = sheet.Encode(SKEncodedImageFormat.Png, 100))
                {
                    await File.WriteAllBytesAsync(stripPath, png.ToArray());
                }
                if (output.Json)
                {
                    await output.Events.FileAsync("strip", stripPath);
                }
                else
                {
                    await output.Out.WriteLineAsync($"wrote {stripPath} (previews of {strip.Count} steps, exit depth under each)");
                }
            }
        }
        string statsPath = Path.Combine(outDir, "stats.json");
        await StatsFile.WriteAsync(statsPath, result, exitsPerStep);
        ComputeStats stats = result.Stats;
        if (output.Json)
        {
            await output.Events.ResultAsync(result, statsPath);
        }
        else
        {
            await output.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{result.Images.Count} image(s) in {stats.WallSeconds:F2} s; layers {stats.LayersExecuted}/{stats.LayersFull} (acceleration ratio {stats.AccelerationRatio:P1}); stats in {statsPath}"));
        }
    }
}
