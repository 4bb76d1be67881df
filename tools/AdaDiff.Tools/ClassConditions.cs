namespace AdaDiff.Tools;

/// <summary>The class model's condition: the label itself; <paramref name="nullClass"/> stands for "no class".</summary>
internal sealed class ClassConditions(long nullClass) : ITrainingConditions
{
    public long[] RowShape { get; } = [];

    public int Width => 1;

    public long NullValue => nullClass;

    public void Fill(long epoch, ReadOnlySpan<int> imageIndices, ReadOnlySpan<long> labels, Span<long> rows) => labels.CopyTo(rows);
}
