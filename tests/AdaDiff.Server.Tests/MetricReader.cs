using OpenTelemetry.Metrics;

namespace AdaDiff.Server.Tests;

/// <summary>Reads values out of in-memory exporter snapshots, summing the points of one model.</summary>
internal static class MetricReader
{
    public static IEnumerable<MetricPoint> Points(IReadOnlyList<MetricSnapshot> snapshots, string name, string model)
    {
        foreach (MetricSnapshot snapshot in snapshots)
        {
            if (snapshot.Name != name)
            {
                continue;
            }
            foreach (MetricPoint point in snapshot.MetricPoints)
            {
                if (Tag(point, "model") == model)
                {
                    yield return point;
                }
            }
        }
    }

    public static string? Tag(MetricPoint point, string key)
    {
        foreach (KeyValuePair<string, object?> tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value?.ToString();
            }
        }
        return null;
    }

    public static IReadOnlyList<string> TagKeys(MetricPoint point)
    {
        List<string> keys = [];
        foreach (KeyValuePair<string, object?> tag in point.Tags)
        {
            keys.Add(tag.Key);
        }
        return keys;
    }

    public static MetricSnapshot? Find(IReadOnlyList<MetricSnapshot> snapshots, string name) => snapshots.FirstOrDefault(s => s.Name == name);

    public static double Sum(IReadOnlyList<MetricSnapshot> snapshots, string name, string model)
    {
        double sum = 0;
        foreach (MetricPoint point in Points(snapshots, name, model))
        {
            MetricType type = Find(snapshots, name)!.MetricType;
            sum += type switch
            {
                MetricType.LongSum => point.GetSumLong(),
                MetricType.DoubleSum => point.GetSumDouble(),
                MetricType.Histogram => point.GetHistogramCount(),
                _ => throw new InvalidOperationException($"{name} is a {type}"),
            };
        }
        return sum;
    }

    public static long Gauge(IReadOnlyList<MetricSnapshot> snapshots, string name, string model)
    {
        long? value = null;
        foreach (MetricPoint point in Points(snapshots, name, model))
        {
            value = point.GetGaugeLastValueLong();
        }
        return value ?? throw new InvalidOperationException($"no {name} point for {model}");
    }
}
