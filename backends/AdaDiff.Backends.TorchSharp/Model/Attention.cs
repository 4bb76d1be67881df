using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Model;

/// <summary>Multi-head self-attention, written out (softmax(QKᵀ/√d)V) as in U-ViT, no fused kernels.</summary>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly int numHeads;
    private readonly double scale;

    /// <summary>Creates attention over D-wide tokens with the given number of heads.</summary>
    public Attention(int dim, int numHeads, bool qkvBias) : base(nameof(Attention))
    {
        this.numHeads = numHeads;
        scale = Math.Pow(dim / numHeads, -0.5);
        qkv = nn.Linear(dim, dim * 3, hasBias: qkvBias);
        proj = nn.Linear(dim, dim);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], l = x.shape[1], c = x.shape[2];
        Tensor h = qkv.forward(x);                                       // [B, L, 3D]
        h = h.reshape(b, l, 3, numHeads, c / numHeads).permute(2, 0, 3, 1, 4); // [3, B, H, L, d]
        Tensor q = h[0], k = h[1], v = h[2];                             // [B, H, L, d]
        Tensor attn = q.matmul(k.transpose(-2, -1)).mul(scale);          // [B, H, L, L]
        attn = attn.softmax(-1);                                         // [B, H, L, L]
        Tensor o = attn.matmul(v);                                       // [B, H, L, d]
        o = o.transpose(1, 2).reshape(b, l, c);                          // [B, L, D]
        o = proj.forward(o);                                             // [B, L, D]
        return o.MoveToOuterDisposeScope();
    }
}
