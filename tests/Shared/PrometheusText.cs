using System.Globalization;

namespace AdaDiff.Tests.Shared;

/// <summary>Reads the Prometheus text format that the server's /metrics serves.</summary>
internal static class PrometheusText
{
    /// <summary>
    /// Sum of every sample of <paramref name="series"/> labelled with the model and, when given, with
    /// <paramref name="label"/>=<paramref name="value"/> (0 when none).
    /// </summary>
    public static double Sum(string text, string series, string model, string? label = null, string? value = null)
    {
        double sum = 0;
        foreach (string sample in Samples(text, series, model, label, value))
        {
            sum += double.Parse(sample, CultureInfo.InvariantCulture);
        }
        return sum;
    }

    public static bool Has(string text, string series, string model) => Samples(text, series, model, null, null).Any();

    private static IEnumerable<string> Samples(string text, string series, string model, string? label, string? value)
    {
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(series, StringComparison.Ordinal))
            {
                continue;
            }
            string rest = line[series.Length..];
            if (!rest.StartsWith('{') || !rest.Contains($"model=\"{model}\"", StringComparison.Ordinal)
                || (label is not null && !rest.Contains($"{label}=\"{value}\"", StringComparison.Ordinal)))
            {
                continue;
            }
            string afterLabels = rest[(rest.LastIndexOf('}') + 1)..].Trim();
            yield return afterLabels.Split(' ')[0];
        }
    }
}
