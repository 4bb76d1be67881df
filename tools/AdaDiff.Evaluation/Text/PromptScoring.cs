using AdaDiff.Captions;

namespace AdaDiff.Evaluation.Text;

/// <summary>What one image measures: the classifier's class and the attribute buckets of its pixels.</summary>
/// <param name="PredictedClass">The evaluation classifier's class.</param>
/// <param name="Buckets">Its attributes (<see cref="ImageAttributes.MeasureModelOutput"/>, <see cref="AttributeThresholds.FashionMnist"/>).</param>
public readonly record struct MeasuredImage(int PredictedClass, AttributeBuckets Buckets);

/// <summary>How often images meet what their prompts name in one slot, beside two chance rates.</summary>
/// <param name="Slot">The class or an attribute.</param>
/// <param name="Named">Prompts that name it.</param>
/// <param name="Met">Of those, images that measure the named value.</param>
/// <param name="Accuracy">Met / Named; null when no prompt names it.</param>
/// <param name="ChanceGenerated">
/// The rate for random prompts, on generated images: the chance that an image generated for a prompt that does not
/// name this slot measures the value a naming prompt asks for, averaged over the naming prompts
/// (Σ over naming prompts of q(named value) / Named, q the distribution of the slot over the other prompts' images);
/// null when every prompt or none names it.
/// </param>
/// <param name="ChanceTestSet">
/// The same average with q the distribution of the same measurement on the test split's images (the classifier's
/// classes, the buckets of their pixels); null when no prompt names it.
/// </param>
public sealed record SlotScore(PromptSlot Slot, int Named, int Met, double? Accuracy, double? ChanceGenerated, double? ChanceTestSet);

/// <summary>How a set of generated images meets its prompts.</summary>
/// <param name="Images">Images scored (one per prompt).</param>
/// <param name="Slots">Per slot, class first (its accuracy is the prompt agreement).</param>
/// <param name="AllMet">Share of images that meet everything their prompt names (<see cref="PromptContent.IsMetBy"/>).</param>
public sealed record PromptScores(int Images, IReadOnlyList<SlotScore> Slots, double AllMet)
{
    /// <summary>How often the classifier agrees with the class a prompt names; null when no prompt names one.</summary>
    public double? Agreement => Slots.First(s => s.Slot == PromptSlot.Class).Accuracy;

    /// <summary>Prompts that name a class.</summary>
    public int ClassNamed => Slots.First(s => s.Slot == PromptSlot.Class).Named;
}

/// <summary>Scores images against the prompts they were generated for (the text model's counterpart of class accuracy).</summary>
internal static class PromptScoring
{
    /// <summary>
    /// The distribution of each slot over reference images (the test split): [slot][value] shares summing to 1, or
    /// all 0 without images.
    /// </summary>
    public static double[][] Distribution(IReadOnlyList<MeasuredImage> images, int classes)
    {
        ArgumentNullException.ThrowIfNull(images);
        var shares = new double[PromptSlots.All.Count][];
        foreach (PromptSlot slot in PromptSlots.All)
        {
            var counts = new double[PromptSlots.Values(slot, classes)];
            foreach (MeasuredImage image in images)
            {
                counts[PromptSlots.Measured(image.PredictedClass, image.Buckets, slot)]++;
            }
            for (int v = 0; v < counts.Length && images.Count > 0; v++)
            {
                counts[v] /= images.Count;
            }
            shares[(int)slot] = counts;
        }
        return shares;
    }

    /// <summary>
    /// Scores <paramref name="images"/>[i] against <paramref name="prompts"/>[i]; <paramref name="testDistribution"/>
    /// (<see cref="Distribution"/> of the test split) gives the test-set chance rates.
    /// </summary>
    public static PromptScores Score(IReadOnlyList<PromptContent> prompts, IReadOnlyList<MeasuredImage> images, double[][] testDistribution, int classes)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(testDistribution);
        if (prompts.Count != images.Count)
        {
            throw new ArgumentException($"{prompts.Count} prompts for {images.Count} images", nameof(images));
        }
        var slots = new List<SlotScore>(PromptSlots.All.Count);
        foreach (PromptSlot slot in PromptSlots.All)
        {
            int values = PromptSlots.Values(slot, classes);
            var unnamedCounts = new double[values];
            int named = 0, met = 0, unnamed = 0;
            for (int i = 0; i < prompts.Count; i++)
            {
                int measured = PromptSlots.Measured(images[i].PredictedClass, images[i].Buckets, slot);
                if (PromptSlots.Named(prompts[i], slot) is int asked)
                {
                    named++;
                    met += asked == measured ? 1 : 0;
                }
                else
                {
                    unnamed++;
                    unnamedCounts[measured]++;
                }
            }
            double chanceGenerated = 0, chanceTest = 0;
            for (int i = 0; i < prompts.Count; i++)
            {
                if (PromptSlots.Named(prompts[i], slot) is int asked)
                {
                    chanceGenerated += unnamed == 0 ? 0 : unnamedCounts[asked] / unnamed;
                    chanceTest += testDistribution[(int)slot][asked];
                }
            }
            slots.Add(new SlotScore(
                slot, named, met,
                named == 0 ? null : (double)met / named,
                named == 0 || unnamed == 0 ? null : chanceGenerated / named,
                named == 0 ? null : chanceTest / named));
        }
        int allMet = 0;
        for (int i = 0; i < prompts.Count; i++)
        {
            allMet += prompts[i].IsMetBy(images[i].PredictedClass, images[i].Buckets) ? 1 : 0;
        }
        return new PromptScores(prompts.Count, slots, prompts.Count == 0 ? 0 : (double)allMet / prompts.Count);
    }
}
