using AdaDiff.Engine.Backends;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static AdaDiff.Backends.Onnx.Internal.OrtValues;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// The batch's fused calls (several stages in one ONNX Runtime session, <see cref="FusedSession"/>): their inputs
/// bound from the batch's values, the call, and the batch moved to the stage's end.
/// </summary>
internal sealed unsafe partial class OnnxBatch
{
    /// <summary>
    /// Runs a fused stage (<see cref="FusedSession"/> names its inputs and outputs) and moves the batch to its end:
    /// the hidden state, the skips it gave back, the time embedding if it embedded; the values it consumed go to the
    /// spare list.
    /// </summary>
    private void RunFused(FusedSession fused, Span<float> certainty)
    {
        OrtValue[] inputs = inputScratch[fused.InputNames.Length];
        OrtValue[] outputs = outputScratch[fused.OutputNames.Length];
        try
        {
            BindFusedInputs(fused, inputs);
            RunFusedCall(fused, inputs, outputs, certainty);
            MoveToFusedEnd(fused, outputs);
        }
        finally
        {
            Array.Clear(inputs);
            Array.Clear(outputs);
        }
    }

    /// <summary>
    /// The fused call's inputs in its order: x, t (and y for a conditioned model) if it embeds, else the hidden
    /// state; the skips it pops; the time embedding if it ends in a UEM on an embedded batch.
    /// </summary>
    private void BindFusedInputs(FusedSession fused, OrtValue[] inputs)
    {
        FusedStage stage = fused.Stage;
        int i = 0;
        if (stage.Embed)
        {
            inputs[i++] = x!;
            inputs[i++] = t!;
            if (topology.ConditionTokens > 0)
            {
                inputs[i++] = y!;
            }
        }
        else
        {
            inputs[i++] = state.Hidden;
        }
        foreach (int k in fused.SkipInputs)
        {
            inputs[i++] = state.Skip(k);
        }
        if (stage.Certainty && !stage.Embed)
        {
            inputs[i++] = timeEmbedding!;
        }
    }

    /// <summary>
    /// Fills the outputs (the next hidden state [B, T, D], the time embedding [B, D] if it embeds, the skips it gives
    /// back, the caller's certainty span [B] if it ends in a UEM) and runs the call; the values it created are freed
    /// if it fails, and the batch is then as it was.
    /// </summary>
    private void RunFusedCall(FusedSession fused, OrtValue[] inputs, OrtValue[] outputs, Span<float> certainty)
    {
        FusedStage stage = fused.Stage;
        int o = 0; // outputs[0..o) are values this call created, freed if it fails
        try
        {
            outputs[o++] = Rent();
            if (stage.Embed)
            {
                outputs[o++] = Allocate(TensorElementType.Float, Count, manifest.EmbedDim);
            }
            foreach (int _ in fused.SkipOutputs)
            {
                outputs[o++] = Rent();
            }
            fixed (float* c = certainty)
            {
                using OrtValue? certaintyValue = stage.Certainty ? Wrap(c, Count, Count) : null;
                if (certaintyValue is not null)
                {
                    outputs[^1] = certaintyValue;
                }
                fused.Session.Run(runOptions, fused.InputNames, inputs, fused.OutputNames, outputs);
            }
        }
        catch
        {
            for (int n = 0; n < o; n++)
            {
                outputs[n].Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// After a fused call: the skips popped inside the fused range and the previous hidden state go to the spare list
    /// (once each), its outputs become the hidden state, the skips it gave back and the time embedding (if it
    /// embedded), and the skip stack and layer count move to the stage's end (<see cref="LayerState{T}.Jump"/>).
    /// </summary>
    private void MoveToFusedEnd(FusedSession fused, OrtValue[] outputs)
    {
        FusedStage stage = fused.Stage;
        int firstSkip = stage.Embed ? 2 : 1;
        state.Jump(stage.End, outputs[0], fused.SkipInputs, fused.SkipOutputs, outputs.AsSpan(firstSkip, fused.SkipOutputs.Length));
        if (stage.Embed)
        {
            ReleaseCopiedInputs(timeEmbedding: outputs[1]);
        }
    }
}
