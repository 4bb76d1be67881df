using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static AdaDiff.Backends.Onnx.Internal.OrtValues;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// One batch inside the ONNX Runtime backend. The inputs x [B, C, H, W], t [B] and y (class labels [B], or a text
/// model's token ids [B, M]) are copied at Begin and
/// embedded with the first call that needs the hidden state, so that the embedding and the layers before the first
/// exit run as one call. The hidden state [B, T, D], the time embedding [B, D] and the long skips (skip k is in-block
/// k's output, [B, T, D]) stay in <see cref="OrtValue"/>s owned by the batch (ONNX Runtime's allocator) from call to
/// call, the hidden state and the skips in a <see cref="LayerState{T}"/>. Outputs go into buffers recycled through
/// <see cref="SpareValues"/>, where the layer state releases what it no longer references; certainties and
/// predictions are written by ONNX Runtime straight into the caller's span. A fused stage that has no session (the
/// bound of <see cref="StageSessions"/>) runs stage by stage; the fused calls are in OnnxBatch.Fused.cs.
/// </summary>
internal sealed unsafe partial class OnnxBatch : IDenoiserBatch
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
    private readonly UViTTopology topology;
    private readonly int tokens;
    private readonly int rowFloats;
    private readonly SpareValues spare = new();
    private readonly LayerState<OrtValue> state;
    private readonly RunOptions runOptions = new();
    private readonly OrtValue[] one = new OrtValue[1];
    private readonly OrtValue[] two = new OrtValue[2];
    private readonly OrtValue[] outOne = new OrtValue[1];
    private readonly OrtValue[][] inputScratch;  // [n]: n values, for the inputs of fused calls
    private readonly OrtValue[][] outputScratch; // [n]: n values, for their outputs
    private OrtValue? timeEmbedding;
    private OrtValue? x;
    private OrtValue? t;
    private OrtValue? y;
    private bool disposed;

    private OnnxBatch(StageSessions sessions, ModelManifest manifest, int count)
    {
        this.sessions = sessions;
        this.manifest = manifest;
        topology = UViTTopology.Of(manifest);
        tokens = topology.Tokens;
        rowFloats = tokens * topology.Width;
        state = new LayerState<OrtValue>(topology, spare);
        inputScratch = new OrtValue[topology.InBlocks + 5][];
        outputScratch = new OrtValue[topology.InBlocks + 5][];
        for (int n = 0; n < inputScratch.Length; n++)
        {
            inputScratch[n] = new OrtValue[n];
            outputScratch[n] = new OrtValue[n];
        }
        Count = count;
    }

    public int Count { get; private set; }

    public int LayersRun => state.LayersRun;

    private bool Embedded => x is null;

    /// <summary>The sessions a call on the batch's rows runs in (the single-thread set for a small batch).</summary>
    private StageSet Set => sessions.For(Count);

    /// <summary>Copies the inputs; the embedding runs with the first call that needs it.</summary>
    public static OnnxBatch Start(StageSessions sessions, ModelManifest manifest, ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> conditions)
    {
        int rows = timesteps.Length;
        var batch = new OnnxBatch(sessions, manifest, rows);
        try
        {
            batch.x = Allocate(TensorElementType.Float, rows, manifest.Channels, manifest.Height, manifest.Width);
            latents.CopyTo(batch.x.GetTensorMutableDataAsSpan<float>());
            batch.t = Allocate(TensorElementType.Float, rows);
            timesteps.CopyTo(batch.t.GetTensorMutableDataAsSpan<float>());
            batch.y = Conditions(manifest, conditions, rows);
        }
        catch
        {
            batch.Dispose();
            throw;
        }
        return batch;
    }

    /// <summary>
    /// embed → layers → head in one call on the caller's buffers (no copy in or out) when the backend has that fused
    /// stage, else through a batch stage by stage: ε̂ [B, C, H, W] into <paramref name="destination"/>.
    /// </summary>
    public static void PredictAtDepth(StageSessions sessions, ModelManifest manifest, ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> conditions, int layers, Span<float> destination)
    {
        int rows = timesteps.Length;
        FusedSession? fused = sessions.For(rows).Fused(FusedStage.AtDepth(layers));
        if (fused is null)
        {
            using OnnxBatch batch = Start(sessions, manifest, latents, timesteps, conditions);
            batch.RunLayers(layers);
            int[] all = new int[rows]; // 4 bytes a row, on the stage-by-stage path only
            for (int i = 0; i < rows; i++)
            {
                all[i] = i;
            }
            batch.Predict(all, destination);
            return;
        }
        using OrtValue y = Conditions(manifest, conditions, rows);
        fixed (float* xp = latents)
        fixed (float* tp = timesteps)
        fixed (float* eps = destination)
        {
            using OrtValue xv = Wrap(xp, latents.Length, rows, manifest.Channels, manifest.Height, manifest.Width);
            using OrtValue tv = Wrap(tp, rows, rows);
            using OrtValue ev = Wrap(eps, destination.Length, rows, manifest.Channels, manifest.Height, manifest.Width);
            OrtValue[] inputs = fused.TakesCondition ? [xv, tv, y] : [xv, tv];
            using var options = new RunOptions();
            fused.Session.Run(options, fused.InputNames, inputs, fused.OutputNames, [ev]);
        }
    }

    public void RunLayer()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        RequireLayerLeft();
        EnsureEmbedded();
        OrtValue next = RunLayerCall(LayersRun, state.NextSkip);
        state.Advance(next);
    }

    public void RunLayers(int layers)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        BatchInput.ValidateDepth(layers, LayersRun, manifest.Depth);
        FusedSession? fused = null;
        if (!Embedded)
        {
            fused = Set.Fused(FusedStage.EmbedRange(layers));
            if (fused is null)
            {
                EnsureEmbedded();
            }
        }
        if (fused is null && layers > 1)
        {
            fused = Set.Fused(FusedStage.Range(LayersRun, layers));
        }
        if (fused is null)
        {
            for (int i = 0; i < layers; i++)
            {
                RunLayer();
            }
            return;
        }
        RunFused(fused, []);
    }

    public void RunLayerWithCertainty(Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        CheckCertaintyDestination(destination);
        RequireLayerLeft();
        EnsureEmbedded();
        FusedSession? fused = Set.Fused(FusedStage.LayerWithCertainty(LayersRun));
        if (fused is null)
        {
            RunLayer();
            Certainty(destination);
            return;
        }
        RunFused(fused, destination);
    }

    public void Certainty(Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        RequireLayer();
        CheckCertaintyDestination(destination);
        fixed (float* c = destination)
        {
            using OrtValue output = Wrap(c, Count, Count);
            two[0] = state.Hidden;
            two[1] = timeEmbedding!;
            outOne[0] = output;
            Set.Uems[LayersRun - 1].Run(runOptions, UemInputs, two, CertaintyOutput, outOne);
        }
    }

    public void Predict(ReadOnlySpan<int> rows, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        RequireLayer();
        int imageSize = manifest.ImageSize;
        BatchInput.ValidateDestination(destination, rows.Length, imageSize);
        if (rows.Length == 0)
        {
            return;
        }
        bool all = CheckRows(rows, ascending: false);
        OrtValue? selected = all ? null : Gather(state.Hidden, rows, rowFloats, tokens, manifest.EmbedDim);
        try
        {
            fixed (float* eps = destination)
            {
                using OrtValue output = Wrap(eps, destination.Length, rows.Length, manifest.Channels, manifest.Height, manifest.Width);
                one[0] = selected ?? state.Hidden;
                outOne[0] = output;
                sessions.For(rows.Length).Head.Run(runOptions, HiddenInput, one, HeadOutput, outOne);
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
        if (!Embedded)
        {
            int imageSize = manifest.ImageSize;
            x = Replace(x!, Gather(x!, rows, imageSize, manifest.Channels, manifest.Height, manifest.Width));
            t = Replace(t!, Gather(t!, rows, 1));
            y = Replace(y!, GatherConditions(y!, rows, manifest));
            Count = rows.Length;
            return;
        }
        state.Keep(new GatherRows(rows, rowFloats, tokens, manifest.EmbedDim));
        timeEmbedding = Replace(timeEmbedding!, Gather(timeEmbedding!, rows, manifest.EmbedDim, manifest.EmbedDim));
        spare.Clear();
        Count = rows.Length;
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        state.Dispose(); // the live values to the spare list, disposed with it below
        timeEmbedding?.Dispose();
        x?.Dispose();
        t?.Dispose();
        y?.Dispose();
        spare.Dispose();
        runOptions.Dispose();
    }

    /// <summary>The embedding has run: the copied inputs x, t, y are freed and its time embedding [B, D] kept.</summary>
    private void ReleaseCopiedInputs(OrtValue timeEmbedding)
    {
        x!.Dispose();
        t!.Dispose();
        y!.Dispose();
        x = t = y = null;
        this.timeEmbedding = timeEmbedding;
    }

    /// <summary>
    /// Layer <paramref name="layer"/> on the hidden state and the skip it pops (if any), into a new value [B, T, D];
    /// the batch is unchanged, and the value freed, if the call fails.
    /// </summary>
    private OrtValue RunLayerCall(int layer, OrtValue? skip)
    {
        OrtValue next = Rent();
        try
        {
            outOne[0] = next;
            if (skip is null)
            {
                one[0] = state.Hidden;
                Set.Layers[layer].Run(runOptions, HiddenInput, one, LayerOutput, outOne);
            }
            else
            {
                two[0] = state.Hidden;
                two[1] = skip;
                Set.Layers[layer].Run(runOptions, HiddenSkipInputs, two, LayerOutput, outOne);
            }
        }
        catch
        {
            next.Dispose();
            throw;
        }
        return next;
    }

    /// <summary>Runs the embedding on the copied inputs if no call has yet.</summary>
    private void EnsureEmbedded()
    {
        if (Embedded)
        {
            return;
        }
        #pragma warning disable CA2000 // the layer state owns it from Start on (the batch disposes the state)
        OrtValue h = Allocate(TensorElementType.Float, Count, tokens, manifest.EmbedDim);
        #pragma warning restore CA2000
        OrtValue temb = Allocate(TensorElementType.Float, Count, manifest.EmbedDim);
        try
        {
            bool conditional = topology.ConditionTokens > 0;
            string[] names = conditional ? ["x", "t", "y"] : ["x", "t"];
            OrtValue[] inputs = conditional ? [x!, t!, y!] : [x!, t!];
            Set.Embed.Run(runOptions, names, inputs, EmbedOutputs, [h, temb]);
        }
        catch
        {
            h.Dispose();
            temb.Dispose();
            throw;
        }
        ReleaseCopiedInputs(temb);
        state.Start(h);
    }

    private void RequireLayerLeft()
    {
        if (LayersRun >= manifest.Depth)
        {
            throw new InvalidOperationException($"all {manifest.Depth} layers have run");
        }
    }

    private void CheckCertaintyDestination(Span<float> destination)
    {
        if (destination.Length != Count)
        {
            throw new ArgumentException($"destination has {destination.Length} elements, expected {Count}", nameof(destination));
        }
    }

    private OrtValue Rent() => spare.TryRent(out OrtValue? value) ? value : Allocate(TensorElementType.Float, Count, tokens, manifest.EmbedDim);

    /// <summary>Validates row numbers (<see cref="BatchInput.ValidateRows"/>); true when they are exactly 0..Count-1.</summary>
    private bool CheckRows(ReadOnlySpan<int> rows, bool ascending) => BatchInput.ValidateRows(rows, Count, ascending);

    private void RequireLayer() => BatchInput.RequireLayerRun(LayersRun);

    /// <summary>The given rows of a value [B, T, D], gathered into a new one [R, T, D] (native to native copies).</summary>
    private readonly ref struct GatherRows(ReadOnlySpan<int> rows, int rowFloats, int tokens, int width) : IRowSelection<OrtValue>
    {
        private readonly ReadOnlySpan<int> rows = rows;

        public OrtValue Rows(OrtValue source) => Gather(source, rows, rowFloats, tokens, width);
    }
}
