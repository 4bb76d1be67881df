using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Training;

/// <summary>
/// The AdaDiff training loss (DESIGN.md §2), every term a mean over elements:
/// <c>L = ‖ε̂_L − ε‖² + Σ_i ‖u_i − (1 − tanh|ε̂_i − ε|)‖² + Σ_i w_i ‖ε̂_i − ε‖²</c>,
/// with UEM targets detached and w_i the batch-mean certainty of layer i normalised to sum 1 (detached).
/// </summary>
public static class AdaDiffLoss
{
    /// <summary>The loss and its three parts (final, UEM, layer-wise), as scalars.</summary>
    /// <param name="predictions">ε̂_i of every layer, each [B, C, H, W].</param>
    /// <param name="certainties">u_i of every layer, each [B, C, H, W].</param>
    /// <param name="noise">ε, [B, C, H, W].</param>
    /// <param name="layerwise">
    /// False leaves the layer-wise term out of the total (it is still returned, for the log): the ablation baseline whose
    /// backbone learns from the final loss alone while the UEMs, on detached inputs, learn on it as if it were frozen.
    /// </param>
    public static (Tensor Total, Tensor Final, Tensor Uem, Tensor Layerwise) Compute(Tensor[] predictions, Tensor[] certainties, Tensor noise, bool layerwise = true)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(certainties);
        using var scope = NewDisposeScope();
        int depth = predictions.Length;
        Tensor final = (predictions[depth - 1] - noise).square().mean();             // []
        Tensor weights;
        using (no_grad())
        {
            weights = stack(certainties.Select(u => u.mean()).ToArray());          // [L]
            weights = weights.div(weights.sum());                                  // [L], sums to 1
        }
        Tensor uem = zeros(1).squeeze();                                          // []
        Tensor layerLoss = zeros(1).squeeze();                                    // []
        for (int i = 0; i < depth; i++)
        {
            Tensor error = (predictions[i] - noise).square().mean();               // []
            Tensor target = UemTarget(predictions[i], noise);                     // [B, C, H, W]
            uem = uem + (certainties[i] - target).square().mean();                // []
            layerLoss = layerLoss + weights[i] * error;                           // []
        }
        Tensor total = layerwise ? final + uem + layerLoss : final + uem;         // []
        return (total.MoveToOuterDisposeScope(), final.MoveToOuterDisposeScope(), uem.MoveToOuterDisposeScope(), layerLoss.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The UEM's per-pixel target <c>1 − tanh|ε̂_i − reference|</c> (detached), [B, C, H, W]: the paper's with the true
    /// noise ε as reference; with the full-depth prediction ε̂_L as reference it asks instead whether the remaining
    /// layers would change this layer's prediction.
    /// </summary>
    public static Tensor UemTarget(Tensor prediction, Tensor reference)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(reference);
        using var scope = NewDisposeScope();
        Tensor target = 1 - (prediction.detach() - reference.detach()).abs().tanh(); // [B, C, H, W]
        return target.MoveToOuterDisposeScope();
    }
}
