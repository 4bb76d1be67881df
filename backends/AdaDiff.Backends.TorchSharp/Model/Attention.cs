using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Model;

/// <summary>Multi-head self-attention, written out (softmax(QKᵀ/√d)V) as in U-ViT, no fused kernels.</summary>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly int numHeads;
    private readonly int headWidth;
    private readonly double scale;

    /// <summary>
    /// Creates attention over D-wide tokens with <paramref name="numHeads"/> heads of <paramref name="headWidth"/>
    /// (D / heads unpruned; a pruned layer keeps fewer heads of the same width): qkv D → 3·A, proj A → D, A = heads × width.
    /// </summary>
    public Attention(int dim, int numHeads, int headWidth, bool qkvBias) : base(nameof(Attention))
    {
        this.numHeads = numHeads;
        this.headWidth = headWidth;
        scale = Math.Pow(headWidth, -0.5);
        qkv = nn.Linear(dim, 3 * numHeads * headWidth, hasBias: qkvBias);
        proj = nn.Linear(numHeads * headWidth, dim);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], l = x.shape[1];
        Tensor h = qkv.forward(x);                                       // [B, L, 3A]
        h = h.reshape(b, l, 3, numHeads, headWidth).permute(2, 0, 3, 1, 4); // [3, B, H, L, d]
        Tensor q = h[0], k = h[1], v = h[2];                             // [B, H, L, d]
        Tensor attn = q.matmul(k.transpose(-2, -1)).mul(scale);          // [B, H, L, L]
        attn = attn.softmax(-1);                                         // [B, H, L, L]
        Tensor o = attn.matmul(v);                                       // [B, H, L, d]
        o = o.transpose(1, 2).reshape(b, l, numHeads * headWidth);       // [B, L, A]
        o = proj.forward(o);                                             // [B, L, D]
        return o.MoveToOuterDisposeScope();
    }
}
