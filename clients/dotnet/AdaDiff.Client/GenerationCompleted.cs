using AdaDiff.Grpc.V1;

namespace AdaDiff.Client;

/// <summary>The last event: the images and what they cost.</summary>
/// <param name="Result">The server's result (PNGs, seeds, compute stats, resolved settings).</param>
public sealed record GenerationCompleted(GenerationResult Result) : GenerationEvent
{
    /// <summary>Image k's PNG bytes.</summary>
    public ReadOnlyMemory<byte> Png(int k) => Result.Images[k].Png.Memory;

    /// <summary>Image k decoded to pixels.</summary>
    public PreviewImage DecodeImage(int k) => PreviewImage.Decode(Result.Images[k].Png.Span);
}
