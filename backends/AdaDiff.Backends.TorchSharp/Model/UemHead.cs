using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Model;

/// <summary>
/// Timestep-aware uncertainty estimation module of one layer: on each patch token (detached,
/// layer-normed without affine) concatenated with the timestep embedding, Linear(2D → p²C) → sigmoid
/// gives a certainty per pixel of that patch.
/// </summary>
public sealed class UemHead : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear linear;
    private readonly long[] normShape;

    /// <summary>Creates a UEM for D-wide tokens and p²C values per patch.</summary>
    public UemHead(int dim, int patchDim) : base(nameof(UemHead))
    {
        normShape = [dim];
        linear = nn.Linear(2 * dim, patchDim);
        RegisterComponents();
    }

    /// <summary>Certainty per patch value in [0, 1], [B, N, p²C], from patch tokens [B, N, D] and the time embedding [B, D].</summary>
    public override Tensor forward(Tensor patchTokens, Tensor timeEmbedding)
    {
        using var scope = NewDisposeScope();
        Tensor h = nn.functional.layer_norm(patchTokens.detach(), normShape);            // [B, N, D]
        Tensor t = timeEmbedding.detach().unsqueeze(1).expand(h.shape[0], h.shape[1], h.shape[2]); // [B, N, D]
        Tensor u = linear.forward(cat([h, t], -1));                                      // [B, N, p²C]
        u = u.sigmoid();                                                                 // [B, N, p²C]
        return u.MoveToOuterDisposeScope();
    }
}
