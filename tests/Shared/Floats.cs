namespace AdaDiff.Tests.Shared;

/// <summary>
/// Float arrays as the backend and engine tests make and compare them. The one copy for every test project that
/// builds tiny models (linked in as Shared/Floats.cs).
/// </summary>
internal static class Floats
{
    /// <summary><paramref name="count"/> values drawn uniformly from [-1, 1) by <paramref name="random"/>, in order.</summary>
    public static float[] Uniform(int count, Random random)
    {
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }
        return values;
    }

    /// <summary>The largest |a[i] − b[i]|; fails the test when the lengths differ.</summary>
    public static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }
        return max;
    }
}
