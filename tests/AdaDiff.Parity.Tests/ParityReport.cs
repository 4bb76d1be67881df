using System.Globalization;
using System.Text;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Parity.Tests;

/// <summary>Max |TorchSharp − PyTorch| per output; asserts every one within the tolerance and prints them all.</summary>
internal sealed class ParityReport
{
    private readonly List<(string Name, float MaxAbs, float Scale)> rows = [];
    private readonly SafetensorsFile reference;
    private readonly string source;

    public ParityReport(string referencePath)
    {
        source = referencePath;
        reference = SafetensorsFile.Read(referencePath);
    }

    public float WorstMaxAbs => rows.Count == 0 ? float.NaN : rows.Max(r => r.MaxAbs);

    /// <summary>Compares <paramref name="actual"/> with the reference's <paramref name="referenceName"/>, keeping only <paramref name="keptRows"/> of its first dimension when given.</summary>
    public void Compare(string name, Output actual, string referenceName, int[]? keptRows = null)
    {
        Assert.True(reference.ByName.TryGetValue(referenceName, out SafetensorsTensor? entry), $"{source} has no output '{referenceName}'");
        long[] shape = (long[])entry!.Shape.Clone();
        float[] expected = entry.ToSingles();
        if (keptRows is not null)
        {
            long rowSize = expected.Length / shape[0];
            var selected = new float[keptRows.Length * rowSize];
            for (int i = 0; i < keptRows.Length; i++)
            {
                Array.Copy(expected, keptRows[i] * rowSize, selected, i * rowSize, rowSize);
            }
            expected = selected;
            shape[0] = keptRows.Length;
        }
        Assert.True(shape.AsSpan().SequenceEqual(actual.Shape), $"{name}: TorchSharp shape [{string.Join(", ", actual.Shape)}], PyTorch [{string.Join(", ", shape)}]");
        float maxAbs = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.False(float.IsNaN(actual.Values[i]) || float.IsNaN(expected[i]), $"{name}[{i}] is NaN");
            maxAbs = Math.Max(maxAbs, Math.Abs(actual.Values[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        rows.Add((name, maxAbs, scale));
    }

    /// <summary>Writes the table and asserts every difference ≤ <paramref name="tolerance"/>; <paramref name="context"/> goes into the failure message.</summary>
    public void AssertWithin(float tolerance, Action<string> log, string? context = null)
    {
        Assert.NotEmpty(rows);
        var table = new StringBuilder();
        foreach ((string name, float maxAbs, float scale) in rows)
        {
            table.Append(CultureInfo.InvariantCulture, $"{name,-22} max|Δ| {maxAbs:E2}   max|ref| {scale:G4}{(maxAbs > tolerance ? "   EXCEEDS" : "")}\n");
        }
        log(table.ToString());
        var failed = rows.Where(r => !(r.MaxAbs <= tolerance)).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Name} ({r.MaxAbs:E2})")).ToList();
        Assert.True(failed.Count == 0, $"TorchSharp differs from the PyTorch reference by more than {tolerance:E0} in: {string.Join(", ", failed)}\n{context}{table}");
    }
}
