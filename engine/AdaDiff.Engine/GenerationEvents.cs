namespace AdaDiff.Engine;

/// <summary>An event of a generation, in order: one <see cref="StepCompleted"/> per step, then one <see cref="GenerationCompleted"/>.</summary>
public abstract record GenerationEvent;

/// <summary>The state after one sampling step.</summary>
/// <param name="StepIndex">0..steps-1.</param>
/// <param name="Timestep">Timestep the network saw, 0..T-1.</param>
/// <param name="ExitLayers">Exit layer per image, 1..depth, [N].</param>
/// <param name="Certainties">Certainty per image at its exit layer, [N].</param>
/// <param name="Latent">x_{t-1} after the step, [N, C, H, W], or null on steps without latents.</param>
/// <param name="PredictedX0">Predicted clean image in [-1, 1] (clipped), [N, C, H, W], or null on steps that emit it for neither previews nor as a tensor.</param>
/// <param name="Compute">What this step cost.</param>
/// <param name="ElapsedSeconds">Seconds since the job was enqueued.</param>
public sealed record StepCompleted(
    int StepIndex,
    int Timestep,
    int[] ExitLayers,
    float[] Certainties,
    float[]? Latent,
    float[]? PredictedX0,
    ComputeTotals Compute,
    double ElapsedSeconds) : GenerationEvent
{
    /// <summary>True when <see cref="GenerationRequest.PreviewEveryNSteps"/> asks for a preview of <see cref="PredictedX0"/> at this step.</summary>
    public bool PreviewDue { get; init; }

    /// <summary>True when <see cref="GenerationRequest.PredictedCleanEveryNSteps"/> asks for <see cref="PredictedX0"/> itself at this step.</summary>
    public bool PredictedCleanDue { get; init; }
}

/// <summary>The final images.</summary>
/// <param name="Images">Final x_0 in [-1, 1] (clipped), [N, C, H, W].</param>
/// <param name="Seeds">Seed of each image, [N].</param>
/// <param name="MeanExitLayers">Mean exit layer of each image over all steps, [N].</param>
/// <param name="Compute">Totals over all steps.</param>
/// <param name="QueueSeconds">Seconds from enqueue to the first step's start.</param>
/// <param name="WallSeconds">Seconds from enqueue to completion.</param>
public sealed record GenerationCompleted(
    float[] Images,
    ulong[] Seeds,
    float[] MeanExitLayers,
    ComputeTotals Compute,
    double QueueSeconds,
    double WallSeconds) : GenerationEvent;

/// <summary>
/// Compute of a step or a generation. Layers count once per image (guidance rows do not double them);
/// FLOPs count every network row.
/// </summary>
/// <param name="LayersExecuted">Σ exit layer over images (and steps).</param>
/// <param name="LayersFull">images × depth (× steps).</param>
/// <param name="FlopsExecuted">FLOPs executed, uncertainty heads included.</param>
/// <param name="FlopsFull">FLOPs of full-depth passes without uncertainty heads.</param>
public readonly record struct ComputeTotals(long LayersExecuted, long LayersFull, double FlopsExecuted, double FlopsFull)
{
    /// <summary>1 − executed/full; 0 when nothing ran.</summary>
    public double AccelerationRatio => LayersFull == 0 ? 0 : 1.0 - (double)LayersExecuted / LayersFull;

    /// <summary>Sum of two totals.</summary>
    public static ComputeTotals operator +(ComputeTotals a, ComputeTotals b) =>
        new(a.LayersExecuted + b.LayersExecuted, a.LayersFull + b.LayersFull, a.FlopsExecuted + b.FlopsExecuted, a.FlopsFull + b.FlopsFull);

    /// <summary>Same as +.</summary>
    public static ComputeTotals Add(ComputeTotals a, ComputeTotals b) => a + b;
}
