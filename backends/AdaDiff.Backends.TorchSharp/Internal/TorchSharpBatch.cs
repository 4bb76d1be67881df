using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Internal;

/// <summary>
/// One batch inside the TorchSharp backend. Owns (outside any dispose scope) the timestep embedding [B, D] and the
/// layer state (<see cref="LayerState{T}"/>: the hidden state and the long-skip stack, each [B, T, D]), which
/// disposes the tensors it lets go of. Every step runs in its own dispose scope, so temporaries die with it.
/// </summary>
internal sealed class TorchSharpBatch : IDenoiserBatch
{
    private readonly UViT model;
    private readonly int imageSize;
    private readonly LayerState<Tensor> state;
    private Tensor timeEmbedding;
    private bool disposed;

    private TorchSharpBatch(UViT model, int imageSize, Tensor hidden, Tensor timeEmbedding, int count)
    {
        this.model = model;
        this.imageSize = imageSize;
        this.timeEmbedding = timeEmbedding;
        state = new LayerState<Tensor>(model.Topology, DisposeOnRelease.Instance);
        state.Start(hidden);
        Count = count;
    }

    public int Count { get; private set; }

    public int LayersRun => state.LayersRun;

    public static TorchSharpBatch Start(UViT model, ModelManifest manifest, ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> conditions)
    {
        using var scope = NewDisposeScope();
        (Tensor h, Tensor temb) = Embed(model, manifest, latents, timesteps, conditions);
        return new TorchSharpBatch(model, manifest.ImageSize, h.DetachFromDisposeScope(), temb.DetachFromDisposeScope(), timesteps.Length);
    }

    /// <summary>
    /// embed → layers 0..<paramref name="layers"/>−1 → head for every row in one dispose scope, no batch kept: the
    /// same operations on the same tensors as <see cref="Start"/>, <see cref="RunLayers"/> and <see cref="Predict"/>
    /// of every row, so the same bits. ε̂ [B, C, H, W] into <paramref name="destination"/>.
    /// </summary>
    public static void PredictAtDepth(UViT model, ModelManifest manifest, ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> conditions, int layers, Span<float> destination)
    {
        using var scope = NewDisposeScope();
        (Tensor h, _) = Embed(model, manifest, latents, timesteps, conditions); // [B, T, D]
        using var state = new LayerState<Tensor>(model.Topology, LeftToScope.Instance);
        state.Start(h);
        for (int layer = 0; layer < layers; layer++)
        {
            state.Advance(model.Layer(layer, state.Hidden, state.NextSkip)); // [B, T, D]
        }
        Tensor eps = model.HeadRowByRow(state.Hidden); // [B, C, H, W]
        eps.data<float>().CopyTo(destination);
    }

    /// <summary>The hidden state [B, T, D] and time embedding [B, D] of a batch, in the caller's dispose scope.</summary>
    private static (Tensor Hidden, Tensor TimeEmbedding) Embed(UViT model, ModelManifest manifest, ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> conditions)
    {
        int rows = timesteps.Length;
        Tensor x = empty([rows, manifest.Channels, manifest.Height, manifest.Width], ScalarType.Float32); // [B, C, H, W]
        x.data<float>().CopyFrom(latents);
        Tensor t = empty([rows], ScalarType.Float32);                                                     // [B]
        t.data<float>().CopyFrom(timesteps);
        Tensor? y = null;
        if (model.Topology.ConditionTokens > 0)
        {
            y = manifest.Conditioning == ConditioningKind.Text
                ? empty([rows, manifest.ConditionWidth], ScalarType.Int64)                                // [B, M]
                : empty([rows], ScalarType.Int64);                                                        // [B]
            y.data<long>().CopyFrom(Widen(conditions));
        }
        Tensor temb = model.TimestepEmbedding(t);   // [B, D]
        Tensor h = model.Embed(x, temb, y);         // [B, T, D]
        return (h, temb);
    }

    public void RunLayer()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        int layer = LayersRun;
        if (layer >= model.Depth)
        {
            throw new InvalidOperationException($"all {model.Depth} layers have run");
        }
        using var scope = NewDisposeScope();
        Tensor next = model.Layer(layer, state.Hidden, state.NextSkip).DetachFromDisposeScope(); // [B, T, D]
        state.Advance(next);
    }

    /// <summary>Layer by layer, as <see cref="RunLayer"/> runs them (checked first as a whole, as every backend checks it).</summary>
    public void RunLayers(int layers)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        BatchInput.ValidateDepth(layers, LayersRun, model.Depth);
        for (int i = 0; i < layers; i++)
        {
            RunLayer();
        }
    }

    public void RunLayerWithCertainty(Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (destination.Length != Count)
        {
            throw new ArgumentException($"destination has {destination.Length} elements, expected {Count}", nameof(destination));
        }
        RunLayer();
        Certainty(destination);
    }

    public void Certainty(Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        RequireLayer();
        if (destination.Length != Count)
        {
            throw new ArgumentException($"destination has {destination.Length} elements, expected {Count}", nameof(destination));
        }
        using var scope = NewDisposeScope();
        Tensor certainty = model.Certainty(LayersRun - 1, state.Hidden, timeEmbedding); // [B]
        certainty.data<float>().CopyTo(destination);
    }

    public void Predict(ReadOnlySpan<int> rows, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        RequireLayer();
        if (destination.Length != rows.Length * imageSize)
        {
            throw new ArgumentException($"destination has {destination.Length} elements, expected {rows.Length} rows × {imageSize}", nameof(destination));
        }
        if (rows.Length == 0)
        {
            return;
        }
        bool all = CheckRows(rows, ascending: false);
        using var scope = NewDisposeScope();
        Tensor hidden = state.Hidden;                                              // [B, T, D]
        Tensor selected = all ? hidden : hidden.index_select(0, IndexTensor(rows)); // [R, T, D]
        Tensor eps = model.HeadRowByRow(selected);                                  // [R, C, H, W], each row's bits its own
        eps.data<float>().CopyTo(destination);
    }

    public void Keep(ReadOnlySpan<int> rows)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (CheckRows(rows, ascending: true))
        {
            return;
        }
        using var scope = NewDisposeScope();
        Tensor index = IndexTensor(rows);
        state.Keep(new SelectRows(index));
        timeEmbedding = Select(timeEmbedding, index);
        Count = rows.Length;
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        state.Dispose();
        timeEmbedding.Dispose();
    }

    /// <summary>Rows of <paramref name="source"/> at <paramref name="index"/>, owned by the batch; disposes the source.</summary>
    private static Tensor Select(Tensor source, Tensor index)
    {
        Tensor selected = source.index_select(0, index).DetachFromDisposeScope();
        source.Dispose();
        return selected;
    }

    private static long[] Widen(ReadOnlySpan<int> values)
    {
        var result = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }
        return result;
    }

    private static Tensor IndexTensor(ReadOnlySpan<int> rows)
    {
        Tensor index = empty([rows.Length], ScalarType.Int32); // [R]
        if (rows.Length > 0)
        {
            index.data<int>().CopyFrom(rows);
        }
        return index;
    }

    /// <summary>Validates row numbers (<see cref="BatchInput.ValidateRows"/>); true when they are exactly 0..Count-1.</summary>
    private bool CheckRows(ReadOnlySpan<int> rows, bool ascending) => BatchInput.ValidateRows(rows, Count, ascending);

    private void RequireLayer() => BatchInput.RequireLayerRun(LayersRun);

    /// <summary>The rows at an index [R] of a tensor [B, …], owned by the batch (outside the step's dispose scope).</summary>
    private readonly struct SelectRows(Tensor index) : IRowSelection<Tensor>
    {
        public Tensor Rows(Tensor source) => source.index_select(0, index).DetachFromDisposeScope();
    }

    /// <summary>For <see cref="PredictAtDepth"/>: every tensor is the call's dispose scope's, freed with it, so a released one is left to it.</summary>
    private sealed class LeftToScope : IValueRelease<Tensor>
    {
        public static readonly LeftToScope Instance = new();

        public void Release(Tensor value)
        {
        }
    }
}
