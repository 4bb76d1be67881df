using AdaDiff.Grpc.V1;

namespace AdaDiff.Client;

/// <summary>
/// A sampling step finished: the server's <see cref="StepUpdate"/> plus the compute saved so far.
/// </summary>
/// <param name="Update">The step as the server sent it (exit layers, certainties, latent, previews).</param>
/// <param name="StepsSoFar">Steps received including this one, 1..steps.</param>
/// <param name="LayersExecuted">Layers executed so far over every image and step.</param>
/// <param name="LayersFull">Layers a full-depth run would have executed so far.</param>
public sealed record StepProgress(StepUpdate Update, int StepsSoFar, long LayersExecuted, long LayersFull) : GenerationEvent
{
    /// <summary>Running acceleration ratio, 1 - executed / full, 0..1 (0 before any layer).</summary>
    public double AccelerationRatio => LayersFull == 0 ? 0 : 1.0 - (double)LayersExecuted / LayersFull;

    /// <summary>Exit layer of each image at this step, 1..full depth, in image order.</summary>
    public IReadOnlyList<uint> ExitLayers => Update.ExitLayers;

    /// <summary>The latent x_{t-1} decoded to floats, or null on steps without one.</summary>
    public LatentArray? DecodeLatent() => Update.Latent is null ? null : LatentArray.Decode(Update.Latent);

    /// <summary>The predicted clean images x0 decoded to floats in [-1, 1], [N, C, H, W], or null on steps without them.</summary>
    public LatentArray? DecodePredictedClean() => Update.PredictedClean is null ? null : LatentArray.Decode(Update.PredictedClean);

    /// <summary>The previews of the predicted clean images decoded to pixels, one per image; empty on steps without previews.</summary>
    public IReadOnlyList<PreviewImage> DecodePreviews()
    {
        var previews = new PreviewImage[Update.PreviewPng.Count];
        for (int i = 0; i < previews.Length; i++)
        {
            previews[i] = PreviewImage.Decode(Update.PreviewPng[i].Span);
        }
        return previews;
    }
}
