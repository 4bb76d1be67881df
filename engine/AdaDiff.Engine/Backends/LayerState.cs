namespace AdaDiff.Engine.Backends;

/// <summary>
/// The live layer state of one batch, as every backend keeps it between calls: the hidden state [B, T, D] and the
/// stack of long skips (skip k is in-block k's output, [B, T, D]), moved layer by layer along the
/// <see cref="UViTTopology"/>. The hidden state right after an in-block is also the top skip (the same value),
/// released once. A value the state no longer references goes to the backend's <see cref="IValueRelease{T}"/>
/// (disposed, or kept for reuse); compacting selects the rows of every value through an
/// <see cref="IRowSelection{T}"/>. The state allocates nothing after construction.
/// </summary>
/// <typeparam name="T">A backend's value of one [B, T, D] tensor.</typeparam>
public sealed class LayerState<T> : IDisposable
    where T : class, IDisposable
{
    private readonly UViTTopology topology;
    private readonly IValueRelease<T> release;
    private readonly T?[] skips; // [InBlocks]: skips[0..SkipCount) on the stack, the rest null
    private T? hidden;

    /// <summary>An empty state (no hidden state, no skips) on <paramref name="topology"/>; freed values go to <paramref name="release"/>.</summary>
    public LayerState(UViTTopology topology, IValueRelease<T> release)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(release);
        this.topology = topology;
        this.release = release;
        skips = new T?[topology.InBlocks];
    }

    /// <summary>Layers run so far, 0..L.</summary>
    public int LayersRun { get; private set; }

    /// <summary>Skips on the stack: <see cref="UViTTopology.SkipsAfter"/>(<see cref="LayersRun"/>).</summary>
    public int SkipCount { get; private set; }

    /// <summary>True once there is a hidden state: after <see cref="Start"/> or a <see cref="Jump"/>.</summary>
    public bool HasHidden => hidden is not null;

    /// <summary>The hidden state [B, T, D] after <see cref="LayersRun"/> layers (the embedding's output before layer 0).</summary>
    public T Hidden => hidden ?? throw new InvalidOperationException("the batch has no hidden state yet: it is not embedded");

    /// <summary>True when the hidden state is also the top skip: right after an in-block.</summary>
    public bool HiddenIsTopSkip => SkipCount > 0 && ReferenceEquals(skips[SkipCount - 1], hidden);

    /// <summary>The skip the next layer pops (the top of the stack), or null if it is not an out-block; the state is unchanged.</summary>
    public T? NextSkip => LayersRun < topology.Depth && topology.PopsSkip(LayersRun) ? skips[SkipCount - 1] : null;

    /// <summary>Skip <paramref name="k"/>, pushed by in-block k, which must be on the stack.</summary>
    public T Skip(int k)
    {
        if ((uint)k >= (uint)SkipCount)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"skips on the stack are 0..{SkipCount - 1}");
        }
        return skips[k]!;
    }

    /// <summary>Takes the embedding's output <paramref name="embedded"/> [B, T, D] as the hidden state before layer 0.</summary>
    public void Start(T embedded)
    {
        ArgumentNullException.ThrowIfNull(embedded);
        if (hidden is not null || LayersRun > 0)
        {
            throw new InvalidOperationException("the batch is already embedded");
        }
        hidden = embedded;
    }

    /// <summary>
    /// Moves one layer on: <paramref name="next"/> [B, T, D] is layer <see cref="LayersRun"/>'s output on
    /// <see cref="Hidden"/> and <see cref="NextSkip"/>. The popped skip, then the previous hidden state unless it is
    /// still a skip, are released; <paramref name="next"/> becomes the hidden state, and the top skip if the layer is
    /// an in-block.
    /// </summary>
    public void Advance(T next)
    {
        ArgumentNullException.ThrowIfNull(next);
        int layer = LayersRun;
        if (layer >= topology.Depth)
        {
            throw new InvalidOperationException($"all {topology.Depth} layers have run");
        }
        T previous = Hidden;
        if (topology.PopsSkip(layer))
        {
            T skip = skips[--SkipCount]!;
            skips[SkipCount] = null;
            release.Release(skip);
        }
        if (!HiddenIsTopSkip)
        {
            release.Release(previous);
        }
        hidden = next;
        if (topology.PushesSkip(layer))
        {
            skips[SkipCount++] = next;
        }
        LayersRun = layer + 1;
    }

    /// <summary>
    /// Moves to layer <paramref name="end"/> after one call that ran layers <see cref="LayersRun"/>..end−1 (embedding
    /// first when there was no hidden state). The skips it popped (<paramref name="popped"/>, in-block numbers) and the
    /// previous hidden state are released, once each; <paramref name="next"/> [B, T, D] becomes the hidden state (and
    /// the top skip if layer end−1 is an in-block), and <paramref name="pushedValues"/> the skips it pushed that
    /// outlive it (<paramref name="pushed"/>, in-block numbers, layer end−1's excepted).
    /// </summary>
    public void Jump(int end, T next, ReadOnlySpan<int> popped, ReadOnlySpan<int> pushed, ReadOnlySpan<T> pushedValues)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(end, LayersRun);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(end, topology.Depth);
        if (pushedValues.Length != pushed.Length)
        {
            throw new ArgumentException($"{pushedValues.Length} values for {pushed.Length} pushed skips", nameof(pushedValues));
        }
        T? previous = hidden;
        bool previousIsSkip = HiddenIsTopSkip;
        foreach (int k in popped)
        {
            T skip = Skip(k);
            skips[k] = null;
            if (ReferenceEquals(skip, previous))
            {
                previousIsSkip = false; // released below, as the previous hidden state
                continue;
            }
            release.Release(skip);
        }
        if (previous is not null && !previousIsSkip)
        {
            release.Release(previous);
        }
        hidden = next;
        for (int i = 0; i < pushed.Length; i++)
        {
            skips[pushed[i]] = pushedValues[i];
        }
        if (topology.PushesSkip(end - 1))
        {
            skips[end - 1] = next;
        }
        SkipCount = topology.SkipsAfter(end);
        LayersRun = end;
    }

    /// <summary>
    /// Compacts to a subset of rows: every skip, bottom to top, then the hidden state (unless it is the top skip,
    /// which it stays) is replaced by <paramref name="selection"/>'s rows of it, and the old value disposed (its row
    /// count is stale, so it is not released for reuse).
    /// </summary>
    public void Keep<TSelection>(TSelection selection)
        where TSelection : IRowSelection<T>, allows ref struct
    {
        bool hiddenIsTopSkip = HiddenIsTopSkip;
        for (int i = 0; i < SkipCount; i++)
        {
            skips[i] = Select(selection, skips[i]!);
        }
        if (hidden is not null)
        {
            hidden = hiddenIsTopSkip ? skips[SkipCount - 1]! : Select(selection, hidden);
        }
    }

    /// <summary>Releases every live value once (the hidden state that is also the top skip once) and empties the state.</summary>
    public void Dispose()
    {
        if (hidden is not null && !HiddenIsTopSkip)
        {
            release.Release(hidden);
        }
        hidden = null;
        for (int i = 0; i < SkipCount; i++)
        {
            release.Release(skips[i]!);
            skips[i] = null;
        }
        SkipCount = 0;
    }

    private static T Select<TSelection>(TSelection selection, T source)
        where TSelection : IRowSelection<T>, allows ref struct
    {
        T selected = selection.Rows(source);
        source.Dispose();
        return selected;
    }
}

/// <summary>What a backend does with a value its <see cref="LayerState{T}"/> no longer references.</summary>
/// <typeparam name="T">A backend's value of one tensor.</typeparam>
public interface IValueRelease<in T>
{
    /// <summary>Lets go of <paramref name="value"/>, called once per value: dispose it, or keep it for reuse.</summary>
    void Release(T value);
}

/// <summary>Rows of a value, for <see cref="LayerState{T}.Keep"/>: the rows one compaction keeps, in a new value.</summary>
/// <typeparam name="T">A backend's value of one tensor.</typeparam>
public interface IRowSelection<T>
{
    /// <summary>A new value [R, …] holding the selected rows of <paramref name="source"/> [B, …]; the source is left as it is.</summary>
    T Rows(T source);
}

/// <summary>Disposes every value released to it: an <see cref="IValueRelease{T}"/> of any disposable class.</summary>
public sealed class DisposeOnRelease : IValueRelease<IDisposable>
{
    private DisposeOnRelease()
    {
    }

    /// <summary>The one instance.</summary>
    public static DisposeOnRelease Instance { get; } = new();

    /// <inheritdoc/>
    public void Release(IDisposable value)
    {
        ArgumentNullException.ThrowIfNull(value);
        value.Dispose();
    }
}
