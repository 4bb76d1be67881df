using System.Globalization;
using System.Text;

namespace AdaDiff.Captions;

/// <summary>
/// The attributes of a whole split and how they fall into buckets per class: what the thresholds are recomputed
/// from and what docs/text-conditioning.md reports (its tables are this class's markdown, checked by a test).
/// </summary>
public sealed class TrainingSetReport
{
    /// <summary>Bucket columns of <see cref="Counts"/>, in order: brightness, size, aspect, texture words.</summary>
    public static IReadOnlyList<string> Columns => AttributeWords.All;

    private TrainingSetReport(IReadOnlyList<string> classNames, ImageAttributes[] attributes, AttributeBuckets[] buckets, byte[] labels, AttributeThresholds thresholds)
    {
        ClassNames = classNames;
        Labels = labels;
        Attributes = attributes;
        Buckets = buckets;
        Thresholds = thresholds;
        Quantiles = AttributeQuantiles.Of(attributes);
        Recomputed = AttributeThresholds.FromTrainingSet(attributes);
        Counts = new int[classNames.Count + 1, Columns.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            Count(labels[i], buckets[i]);
            Count(classNames.Count, buckets[i]);
        }
    }

    /// <summary>The class names, in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The label of each image.</summary>
    public byte[] Labels { get; }

    /// <summary>The attributes of each image.</summary>
    public ImageAttributes[] Attributes { get; }

    /// <summary>The buckets of each image under <see cref="Thresholds"/>.</summary>
    public AttributeBuckets[] Buckets { get; }

    /// <summary>The thresholds the buckets were assigned with.</summary>
    public AttributeThresholds Thresholds { get; }

    /// <summary>The distribution of each attribute.</summary>
    public AttributeQuantiles Quantiles { get; }

    /// <summary>The thresholds this split gives by <see cref="AttributeThresholds.FromTrainingSet"/>.</summary>
    public AttributeThresholds Recomputed { get; }

    /// <summary>Images per [class, bucket column]; the last row is all classes.</summary>
    public int[,] Counts { get; }

    /// <summary>Measures every image of <paramref name="data"/> and buckets it with <paramref name="thresholds"/>.</summary>
    public static TrainingSetReport Measure(FashionMnistImages data, IReadOnlyList<string> classNames, AttributeThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(thresholds);
        var attributes = new ImageAttributes[data.Count];
        var buckets = new AttributeBuckets[data.Count];
        for (int i = 0; i < data.Count; i++)
        {
            if (data.Labels[i] >= classNames.Count)
            {
                throw new ArgumentException($"image {i} has label {data.Labels[i]}; {classNames.Count} class names given", nameof(classNames));
            }
            attributes[i] = ImageAttributes.Measure(data.Image(i), FashionMnistImages.Side, FashionMnistImages.Side);
            buckets[i] = thresholds.Classify(attributes[i]);
        }
        return new TrainingSetReport(classNames, attributes, buckets, data.Labels, thresholds);
    }

    /// <summary>A markdown table of each attribute's distribution, thresholds and words.</summary>
    public string QuantileTable()
    {
        var text = new StringBuilder();
        text.Append("| attribute | min | 1/3 | median | 2/3 | max | thresholds | words |\n");
        text.Append("|---|---:|---:|---:|---:|---:|---|---|\n");
        Row(text, "brightness (mean ink intensity)", Quantiles.Brightness, $"< {F2(Thresholds.BrightnessLow)} ≤ … < {F2(Thresholds.BrightnessHigh)} ≤", "dark / grey / bright");
        Row(text, "size (fraction of the frame)", Quantiles.Coverage, $"< {F2(Thresholds.CoverageLow)} ≤ … < {F2(Thresholds.CoverageHigh)} ≤", "small / medium / large");
        Row(text, "aspect (box width / height)", Quantiles.Aspect, $"< {F2(Thresholds.AspectLow)} ≤ … < {F2(Thresholds.AspectHigh)} ≤", "tall / square / wide");
        Row(text, "texture (mean abs. Laplacian inside)", Quantiles.Texture, $"< {F2(Thresholds.TextureMedian)} ≤", "plain / textured");
        return text.ToString();
    }

    /// <summary>A markdown table of how many images of each class fall in each bucket.</summary>
    public string BucketTable()
    {
        var text = new StringBuilder();
        text.Append("| class | ").AppendJoin(" | ", Columns).Append(" |\n");
        text.Append("|---|").Append(string.Concat(Enumerable.Repeat("---:|", Columns.Count))).Append('\n');
        for (int c = 0; c <= ClassNames.Count; c++)
        {
            text.Append("| ").Append(c < ClassNames.Count ? ClassNames[c] : "**all**");
            for (int k = 0; k < Columns.Count; k++)
            {
                text.Append(" | ").Append(Counts[c, k].ToString(CultureInfo.InvariantCulture));
            }
            text.Append(" |\n");
        }
        return text.ToString();
    }

    private void Count(int row, AttributeBuckets b)
    {
        Counts[row, (int)b.Brightness]++;
        Counts[row, 3 + (int)b.Size]++;
        Counts[row, 6 + (int)b.Aspect]++;
        Counts[row, 9 + (int)b.Texture]++;
    }

    private static void Row(StringBuilder text, string name, Quantiles q, string thresholds, string words) =>
        text.Append("| ").Append(name)
            .Append(" | ").Append(F4(q.Min)).Append(" | ").Append(F4(q.Tercile1)).Append(" | ").Append(F4(q.Median))
            .Append(" | ").Append(F4(q.Tercile2)).Append(" | ").Append(F4(q.Max))
            .Append(" | ").Append(thresholds).Append(" | ").Append(words).Append(" |\n");

    private static string F2(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string F4(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
}
