using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Model;

/// <summary>Patchify: a p×p convolution with stride p, tokens in row-major patch order.</summary>
public sealed class PatchEmbed : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d proj;

    /// <summary>Creates the embedding of C-channel images into D-wide tokens.</summary>
    public PatchEmbed(int channels, int embedDim, int patchSize) : base(nameof(PatchEmbed))
    {
        proj = nn.Conv2d(channels, embedDim, patchSize, stride: patchSize);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor h = proj.forward(x);        // [B, D, H/p, W/p]
        h = h.flatten(2).transpose(1, 2);  // [B, N, D]
        return h.MoveToOuterDisposeScope();
    }
}
