using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Internal;

/// <summary>
/// One batch inside the TorchSharp backend. Owns (outside any dispose scope) the hidden state [B, T, D],
/// the timestep embedding [B, D] and the long-skip stack, each [B, T, D]. The hidden state right after an
/// in-block is also the top skip (same tensor), never disposed twice. Every step runs in its own dispose
/// scope, so temporaries die with it.
/// </summary>
internal sealed class TorchSharpBatch : IDenoiserBatch
{
    private readonly UViT model;
    private readonly int imageSize;
    private readonly Tensor?[] skips;
    private int skipCount;
    private Tensor hidden;
    private Tensor timeEmbedding;
    private bool disposed;

    private TorchSharpBatch(UViT model, int imageSize, Tensor hidden, Tensor timeEmbedding, int count)
    {
        this.model = model;
        this.imageSize = imageSize;
        this.hidden = hidden;
        this.timeEmbedding = timeEmbedding;
        skips = new Tensor?[model.Topology.InBlocks];
        Count = count;
    }

    public int Count { get; private set; }

    public int LayersRun { get; private set; }

    private bool HiddenIsTopSkip => skipCount > 0 && ReferenceEquals(skips[skipCount - 1], hidden);

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
        UViTTopology topology = model.Topology;
        var skips = new Tensor[topology.InBlocks];
        int skipCount = 0;
        for (int layer = 0; layer < layers; layer++)
        {
            h = model.Layer(layer, h, topology.PopsSkip(layer) ? skips[--skipCount] : null); // [B, T, D]
            if (topology.PushesSkip(layer))
            {
                skips[skipCount++] = h;
            }
        }
        Tensor eps = model.HeadRowByRow(h);      // [B, C, H, W]
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
        Tensor? skip = model.Topology.PopsSkip(layer) ? skips[--skipCount] : null;
        Tensor next = model.Layer(layer, hidden, skip).DetachFromDisposeScope(); // [B, T, D]
        if (skip is not null)
        {
            skips[skipCount] = null;
            skip.Dispose();
        }
        if (!HiddenIsTopSkip)
        {
            hidden.Dispose();
        }
        hidden = next;
        if (model.Topology.PushesSkip(layer))
        {
            skips[skipCount++] = hidden;
        }
        LayersRun = layer + 1;
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
        Tensor certainty = model.Certainty(LayersRun - 1, hidden, timeEmbedding); // [B]
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
        bool hiddenIsTopSkip = HiddenIsTopSkip;
        for (int i = 0; i < skipCount; i++)
        {
            skips[i] = Select(skips[i]!, index);
        }
        hidden = hiddenIsTopSkip ? skips[skipCount - 1]! : Select(hidden, index);
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
        if (!HiddenIsTopSkip)
        {
            hidden.Dispose();
        }
        for (int i = 0; i < skipCount; i++)
        {
            skips[i]!.Dispose();
            skips[i] = null;
        }
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
}
