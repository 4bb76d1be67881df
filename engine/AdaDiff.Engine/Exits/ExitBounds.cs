namespace AdaDiff.Engine.Exits;

/// <summary>The layers the images of one step may exit at (layer i is the output after running i layers).</summary>
/// <param name="Earliest">The first layer an image may exit at, 1..<paramref name="Latest"/>.</param>
/// <param name="Latest">The layer at which every image still in the network exits, <paramref name="Earliest"/>..depth.</param>
/// <param name="NeedsCertainty">
/// Whether the decisions from <paramref name="Earliest"/> to <paramref name="Latest"/> read the images' certainties:
/// the uncertainty heads run at those layers (the last included, so that the stream reports a certainty). A policy
/// that never reads them pays for no head: its FLOPs are a plain forward's and its streamed certainty is NaN.
/// </param>
public readonly record struct ExitBounds(int Earliest, int Latest, bool NeedsCertainty)
{
    /// <summary>Every image exits at <paramref name="layer"/>, no certainty read: static truncation, or full depth at the last layer.</summary>
    public static ExitBounds At(int layer) => new(layer, layer, false);

    /// <summary>True when the bounds fit a network of <paramref name="depth"/> layers.</summary>
    public bool FitsDepth(int depth) => Earliest >= 1 && Earliest <= Latest && Latest <= depth;
}
