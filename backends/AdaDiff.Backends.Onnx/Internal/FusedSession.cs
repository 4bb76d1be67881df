using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using Microsoft.ML.OnnxRuntime;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>One fused stage's session and the names of its inputs and outputs, in the order <see cref="OnnxBatch"/> passes them.</summary>
internal sealed class FusedSession
{
    public FusedSession(FusedStage stage, ModelManifest manifest, InferenceSession session)
    {
        Stage = stage;
        Session = session;
        var topology = UViTTopology.Of(manifest);
        SkipInputs = stage.SkipInputs(topology);
        SkipOutputs = stage.SkipOutputs(topology);
        var inputs = new List<string>();
        TakesCondition = stage.Embed && topology.ConditionTokens > 0;
        if (stage.Embed)
        {
            inputs.AddRange(TakesCondition ? ["x", "t", "y"] : ["x", "t"]);
        }
        else
        {
            inputs.Add("hidden");
        }
        foreach (int k in SkipInputs)
        {
            inputs.Add(FusedStage.SkipName(k));
        }
        if (stage.Certainty && !stage.Embed)
        {
            inputs.Add("temb");
        }
        var outputs = new List<string>();
        if (stage.Head)
        {
            outputs.Add("eps");
        }
        else
        {
            outputs.Add("out");
            if (stage.Embed)
            {
                outputs.Add("temb");
            }
            foreach (int k in SkipOutputs)
            {
                outputs.Add(FusedStage.SkipName(k));
            }
            if (stage.Certainty)
            {
                outputs.Add("certainty");
            }
        }
        InputNames = [.. inputs];
        OutputNames = [.. outputs];
    }

    public FusedStage Stage { get; }

    public InferenceSession Session { get; }

    /// <summary>True when the graph embeds and takes the condition y after x and t.</summary>
    public bool TakesCondition { get; }

    /// <summary>In-block indexes of the skips the graph takes, after hidden (or x, t, y).</summary>
    public int[] SkipInputs { get; }

    /// <summary>In-block indexes of the skips the graph gives back, after out (and temb).</summary>
    public int[] SkipOutputs { get; }

    public string[] InputNames { get; }

    public string[] OutputNames { get; }
}
