using System.Globalization;
using AdaDiff.Engine;
using AdaDiff.Evaluation.Reporting;

namespace AdaDiff.Evaluation.Text;

/// <summary>The text evaluation's pictures: the grid of hand-written prompts by seeds, at full depth and adaptive.</summary>
internal static class TextPictures
{
    public const string GridFull = "grid-full.png";
    public const string GridAdaptive = "grid-adaptive.png";

    /// <summary>
    /// Writes both grids into <paramref name="outDir"/>, one row a prompt and one column a seed: the full-depth images
    /// captioned with whether each meets its prompt, the adaptive ones with their mean exit depth (and a tick where
    /// they meet it); returns their record.
    /// </summary>
    public static TextGridRecord WriteGrid(string outDir, IReadOnlyList<EvalPrompt> prompts, int seeds, TextRun full, TextRun adaptive, float threshold, ModelManifest manifest)
    {
        var rows = new List<int[]>(prompts.Count);
        var records = new List<GridRowRecord>(prompts.Count);
        var fullCaptions = new List<string[]>(prompts.Count);
        var adaptiveCaptions = new List<string[]>(prompts.Count);
        for (int p = 0; p < prompts.Count; p++)
        {
            int[] images = [.. Enumerable.Range(p * seeds, seeds)];
            rows.Add(images);
            bool[] metFull = [.. images.Select(i => prompts[p].Content.IsMetBy(full.Measured[i].PredictedClass, full.Measured[i].Buckets))];
            bool[] metAdaptive = [.. images.Select(i => prompts[p].Content.IsMetBy(adaptive.Measured[i].PredictedClass, adaptive.Measured[i].Buckets))];
            double[] depths = [.. images.Select(i => adaptive.Set.ImageMeanLayers[i])];
            fullCaptions.Add([.. metFull.Select(m => m ? "met" : "–")]);
            adaptiveCaptions.Add([.. images.Select((i, k) => depths[k].ToString("0.0", CultureInfo.InvariantCulture) + (metAdaptive[k] ? " ✓" : ""))]);
            records.Add(new GridRowRecord(prompts[p].Text, Describe(prompts[p]), depths, metFull, metAdaptive));
        }
        string[] labels = [.. prompts.Select(p => p.Text)];
        ImageGrid.WriteLabelled(Path.Combine(outDir, GridFull), full.Set.Images, manifest.Height, manifest.Width, rows, labels, fullCaptions);
        ImageGrid.WriteLabelled(Path.Combine(outDir, GridAdaptive), adaptive.Set.Images, manifest.Height, manifest.Width, rows, labels, adaptiveCaptions);
        return new TextGridRecord(threshold, records, GridFull, GridAdaptive);
    }

    /// <summary>What a prompt names, in words ("class Ankle boot, size small, brightness dark").</summary>
    public static string Describe(EvalPrompt prompt)
    {
        var parts = new List<string>();
        foreach (PromptSlot slot in PromptSlots.All)
        {
            if (PromptSlots.Named(prompt.Content, slot) is int value)
            {
                parts.Add($"{PromptSlots.Name(slot)} {ValueName(slot, value)}");
            }
        }
        return parts.Count == 0 ? "nothing" : string.Join(", ", parts);
    }

    /// <summary>The word of a slot's value.</summary>
    public static string ValueName(PromptSlot slot, int value) => slot switch
    {
        PromptSlot.Class => Classifier.FashionClassifier.ClassNames[value],
        PromptSlot.Brightness => Captions.AttributeWords.Of((Captions.Brightness)value),
        PromptSlot.Size => Captions.AttributeWords.Of((Captions.GarmentSize)value),
        PromptSlot.Aspect => Captions.AttributeWords.Of((Captions.Aspect)value),
        _ => Captions.AttributeWords.Of((Captions.Texture)value),
    };
}
