using System.Globalization;
using AdaDiff.Captions;

namespace AdaDiff.Captions.Tests;

/// <summary>The figures of docs/text-conditioning.md are what the code measures on the training split.</summary>
public class DocsTests
{
    private static string Doc => File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "text-conditioning.md"));

    [FashionMnistFact]
    public void Doc_QuantileTable_IsTheTrainingSplits() =>
        AssertSection("quantiles", TrainingSet.Report.QuantileTable());

    [FashionMnistFact]
    public void Doc_BucketTable_IsTheTrainingSplits() =>
        AssertSection("buckets", TrainingSet.Report.BucketTable());

    [Fact]
    public void Doc_ExampleCaptions_AreTheGeneratorsOwn()
    {
        int rows = 0;
        foreach (string[] cells in ExampleRows())
        {
            int label = TrainingSet.ClassNames.ToList().IndexOf(cells[1]);
            Assert.True(label >= 0, $"no class '{cells[1]}'");
            Caption caption = Captions.Generator.Generate(label, ParseBuckets(cells[2]), ulong.Parse(cells[3], CultureInfo.InvariantCulture), long.Parse(cells[0], CultureInfo.InvariantCulture));
            Assert.Equal(cells[4].Trim('"'), caption.Text);
            rows++;
        }
        Assert.InRange(rows, 5, 50);
    }

    [FashionMnistFact]
    public void Doc_ExampleCaptions_AreOfThoseTrainingImages()
    {
        TrainingSetReport report = TrainingSet.Report;
        foreach (string[] cells in ExampleRows())
        {
            int image = int.Parse(cells[0], CultureInfo.InvariantCulture);
            Assert.Equal(cells[1], report.ClassNames[report.Labels[image]]);
            Assert.Equal(ParseBuckets(cells[2]), report.Buckets[image]);
        }
    }

    // "| image | class | buckets | seed | caption |" rows; the header and the rule are skipped.
    private static IEnumerable<string[]> ExampleRows() =>
        Section("examples").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Trim().Trim('|').Split('|', StringSplitOptions.TrimEntries))
            .Where(cells => cells.Length == 5 && int.TryParse(cells[0], out _));

    private static AttributeBuckets ParseBuckets(string text)
    {
        string[] words = text.Split(' ');
        return new AttributeBuckets(
            Enum.GetValues<Brightness>().Single(v => AttributeWords.Of(v) == words[0]),
            Enum.GetValues<GarmentSize>().Single(v => AttributeWords.Of(v) == words[1]),
            Enum.GetValues<Aspect>().Single(v => AttributeWords.Of(v) == words[2]),
            Enum.GetValues<Texture>().Single(v => AttributeWords.Of(v) == words[3]));
    }

    private static void AssertSection(string name, string expected)
    {
        string actual = Section(name);
        Assert.True(actual == expected,
            $"docs/text-conditioning.md's {name} table differs from what the training split gives; replace the lines between its markers with:\n{expected}");
    }

    private static string Section(string name)
    {
        string doc = Doc;
        string begin = $"<!-- {name}:begin -->\n", end = $"<!-- {name}:end -->";
        int start = doc.IndexOf(begin, StringComparison.Ordinal);
        int stop = doc.IndexOf(end, StringComparison.Ordinal);
        Assert.True(start >= 0 && stop > start, $"docs/text-conditioning.md has no {name} section between '{begin.Trim()}' and '{end}'");
        return doc[(start + begin.Length)..stop];
    }
}
