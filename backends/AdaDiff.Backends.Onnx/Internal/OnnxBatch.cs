using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// One batch inside the ONNX Runtime backend. The hidden state [B, T, D], the time embedding [B, D] and the
/// long-skip stack stay in <see cref="OrtValue"/>s owned by the batch (ONNX Runtime's allocator) from stage to
/// stage; the hidden state right after an in-block is also the top skip (same value, freed once). Layer
/// outputs go into pre-allocated buffers recycled through a spare list; certainties and predictions are
/// written by ONNX Runtime straight into the caller's span.
/// </summary>
internal sealed unsafe class OnnxBatch : IDenoiserBatch
{
    private static readonly string[] EmbedOutputs = ["hidden", "temb"];
    private static readonly string[] HiddenInput = ["hidden"];
    private static readonly string[] HiddenSkipInputs = ["hidden", "skip"];
    private static readonly string[] UemInputs = ["hidden", "temb"];
    private static readonly string[] LayerOutput = ["out"];
    private static readonly string[] CertaintyOutput = ["certainty"];
    private static readonly string[] HeadOutput = ["eps"];

    private readonly StageSessions sessions;
    private readonly ModelManifest manifest;
    private readonly int tokens;
    private readonly int rowFloats;
    private readonly OrtValue?[] skips;
    private readonly Stack<OrtValue> spare = new();
    private readonly RunOptions runOptions = new();
    private readonly OrtValue[] one = new OrtValue[1];
    private readonly OrtValue[] two = new OrtValue[2];
    private readonly OrtValue[] outOne = new OrtValue[1];
    private int skipCount;
    private OrtValue hidden;
    private OrtValue timeEmbedding;
    private bool disposed;

    private OnnxBatch(StageSessions sessions, ModelManifest manifest, int tokens, OrtValue hidden, OrtValue timeEmbedding, int count)
    {
        this.sessions = sessions;
        this.manifest = manifest;
        this.tokens = tokens;
        rowFloats = tokens * manifest.EmbedDim;
        this.hidden = hidden;
        this.timeEmbedding = timeEmbedding;
        skips = new OrtValue?[manifest.Depth / 2];
        Count = count;
    }

    public int Count { get; private set; }

    public int LayersRun { get; private set; }

    private bool HiddenIsTopSkip => skipCount > 0 && ReferenceEquals(skips[skipCount - 1], hidden);

    public static OnnxBatch Start(StageSessions sessions, ModelManifest manifest, ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> classLabels)
    {
        int rows = timesteps.Length;
        int tokens = (manifest.NumClasses > 0 ? 2 : 1) + manifest.PatchTokens;
        OrtValue hidden = Allocate(rows, tokens, manifest.EmbedDim);
        OrtValue temb = Allocate(rows, manifest.EmbedDim);
        try
        {
            long[] labels = new long[rows]; // 8 bytes a row, once per step
            for (int i = 0; i < rows; i++)
            {
                labels[i] = classLabels[i];
            }
            fixed (float* x = latents)
            fixed (float* t = timesteps)
            fixed (long* y = labels)
            {
                using OrtValue xv = Wrap(x, latents.Length, rows, manifest.Channels, manifest.Height, manifest.Width);
                using OrtValue tv = Wrap(t, rows, rows);
                using OrtValue yv = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Int64, [rows], (IntPtr)y, rows * sizeof(long));
                bool conditional = manifest.NumClasses > 0;
                string[] names = conditional ? ["x", "t", "y"] : ["x", "t"];
                OrtValue[] inputs = conditional ? [xv, tv, yv] : [xv, tv];
                using var options = new RunOptions();
                sessions.Embed.Run(options, names, inputs, EmbedOutputs, [hidden, temb]);
            }
        }
        catch
        {
            hidden.Dispose();
            temb.Dispose();
            throw;
        }
        return new OnnxBatch(sessions, manifest, tokens, hidden, temb, rows);
    }

    public void RunLayer()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        int layer = LayersRun;
        int half = manifest.Depth / 2;
        if (layer >= manifest.Depth)
        {
            throw new InvalidOperationException($"all {manifest.Depth} layers have run");
        }
        OrtValue? skip = layer > half ? skips[--skipCount] : null;
        OrtValue next = Rent();
        try
        {
            outOne[0] = next;
            if (skip is null)
            {
                one[0] = hidden;
                sessions.Layers[layer].Run(runOptions, HiddenInput, one, LayerOutput, outOne);
            }
            else
            {
                two[0] = hidden;
                two[1] = skip;
                sessions.Layers[layer].Run(runOptions, HiddenSkipInputs, two, LayerOutput, outOne);
            }
        }
        catch
        {
            if (skip is not null)
            {
                skipCount++;
            }
            next.Dispose();
            throw;
        }
        if (skip is not null)
        {
            skips[skipCount] = null;
            spare.Push(skip);
        }
        if (!HiddenIsTopSkip)
        {
            spare.Push(hidden);
        }
        hidden = next;
        if (layer < half)
        {
            skips[skipCount++] = hidden;
        }
        LayersRun = layer + 1;
    }

    public void Certainty(Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        RequireLayer();
        if (destination.Length != Count)
        {
            throw new ArgumentException($"destination has {destination.Length} elements, expected {Count}", nameof(destination));
        }
        fixed (float* c = destination)
        {
            using OrtValue output = Wrap(c, Count, Count);
            two[0] = hidden;
            two[1] = timeEmbedding;
            outOne[0] = output;
            sessions.Uems[LayersRun - 1].Run(runOptions, UemInputs, two, CertaintyOutput, outOne);
        }
    }

    public void Predict(ReadOnlySpan<int> rows, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        RequireLayer();
        int imageSize = manifest.ImageSize;
        if (destination.Length != rows.Length * imageSize)
        {
            throw new ArgumentException($"destination has {destination.Length} elements, expected {rows.Length} rows × {imageSize}", nameof(destination));
        }
        if (rows.Length == 0)
        {
            return;
        }
        bool all = CheckRows(rows, ascending: false);
        OrtValue? selected = all ? null : Gather(hidden, rows, rowFloats, tokens, manifest.EmbedDim);
        try
        {
            fixed (float* eps = destination)
            {
                using OrtValue output = Wrap(eps, destination.Length, rows.Length, manifest.Channels, manifest.Height, manifest.Width);
                one[0] = selected ?? hidden;
                outOne[0] = output;
                sessions.Head.Run(runOptions, HiddenInput, one, HeadOutput, outOne);
            }
        }
        finally
        {
            selected?.Dispose();
        }
    }

    public void Keep(ReadOnlySpan<int> rows)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (CheckRows(rows, ascending: true))
        {
            return;
        }
        bool hiddenIsTopSkip = HiddenIsTopSkip;
        for (int i = 0; i < skipCount; i++)
        {
            OrtValue old = skips[i]!;
            skips[i] = Gather(old, rows, rowFloats, tokens, manifest.EmbedDim);
            old.Dispose();
        }
        if (hiddenIsTopSkip)
        {
            hidden = skips[skipCount - 1]!;
        }
        else
        {
            OrtValue old = hidden;
            hidden = Gather(old, rows, rowFloats, tokens, manifest.EmbedDim);
            old.Dispose();
        }
        OrtValue oldTime = timeEmbedding;
        timeEmbedding = Gather(oldTime, rows, manifest.EmbedDim, manifest.EmbedDim);
        oldTime.Dispose();
        ClearSpare();
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
        ClearSpare();
        runOptions.Dispose();
    }

    private static OrtValue Allocate(params long[] shape) =>
        OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, shape);

    private static OrtValue Wrap(float* data, int length, params long[] shape) =>
        OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape, (IntPtr)data, (long)length * sizeof(float));

    /// <summary>A new value holding the given rows of <paramref name="source"/> (native to native copies).</summary>
    private static OrtValue Gather(OrtValue source, ReadOnlySpan<int> rows, int rowSize, params long[] innerShape)
    {
        var shape = new long[innerShape.Length + 1];
        shape[0] = rows.Length;
        innerShape.CopyTo(shape, 1);
        OrtValue result = Allocate(shape);
        ReadOnlySpan<float> from = source.GetTensorDataAsSpan<float>();
        Span<float> to = result.GetTensorMutableDataAsSpan<float>();
        for (int i = 0; i < rows.Length; i++)
        {
            from.Slice(rows[i] * rowSize, rowSize).CopyTo(to.Slice(i * rowSize, rowSize));
        }
        return result;
    }

    private OrtValue Rent() => spare.Count > 0 ? spare.Pop() : Allocate(Count, tokens, manifest.EmbedDim);

    private void ClearSpare()
    {
        while (spare.Count > 0)
        {
            spare.Pop().Dispose();
        }
    }

    /// <summary>Validates row numbers (<see cref="BatchInput.ValidateRows"/>); true when they are exactly 0..Count-1.</summary>
    private bool CheckRows(ReadOnlySpan<int> rows, bool ascending) => BatchInput.ValidateRows(rows, Count, ascending);

    private void RequireLayer() => BatchInput.RequireLayerRun(LayersRun);
}
