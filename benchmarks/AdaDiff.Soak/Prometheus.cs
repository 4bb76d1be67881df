using System.Globalization;
using System.Text.RegularExpressions;

namespace AdaDiff.Soak;

/// <summary>The few reads of the Prometheus text format the soak needs.</summary>
internal static class Prometheus
{
    /// <summary>Every sample of the series named exactly <paramref name="name"/>: its label text and value.</summary>
    public static IEnumerable<(string Labels, double Value)> Series(string text, string name)
    {
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#' || !line.StartsWith(name, StringComparison.Ordinal))
            {
                continue;
            }
            string rest = line[name.Length..];
            string labels = "";
            if (rest.StartsWith('{'))
            {
                int close = rest.LastIndexOf('}');
                if (close < 0)
                {
                    continue;
                }
                labels = rest[1..close];
                rest = rest[(close + 1)..];
            }
            else if (!rest.StartsWith(' '))
            {
                continue; // a longer name with this one as prefix
            }
            string[] parts = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                yield return (labels, value);
            }
        }
    }

    public static double Sum(string text, string name) => Series(text, name).Sum(s => s.Value);

    /// <summary>Sums of <paramref name="name"/> by the value of <paramref name="label"/>.</summary>
    public static Dictionary<string, double> SumBy(string text, string name, string label)
    {
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach ((string labels, double value) in Series(text, name))
        {
            string key = Label(labels, label) ?? "";
            sums[key] = sums.GetValueOrDefault(key) + value;
        }
        return sums;
    }

    private static string? Label(string labels, string label)
    {
        Match m = Regex.Match(labels, "(?:^|,)" + Regex.Escape(label) + "=\"([^\"]*)\"");
        return m.Success ? m.Groups[1].Value : null;
    }
}
