using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Model;

/// <summary>Pre-norm transformer block; an out-block first merges its long skip with skip_linear(cat[x, skip]).</summary>
public sealed class Block : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly Attention attn;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
    private readonly Linear? skip_linear;

    /// <summary>
    /// Creates a block of <paramref name="numHeads"/> heads <paramref name="headWidth"/> wide and an MLP of
    /// <paramref name="mlpHidden"/> channels; <paramref name="skip"/> adds the long-skip projection Linear(2D → D).
    /// </summary>
    public Block(int dim, int numHeads, int headWidth, int mlpHidden, bool qkvBias, bool skip) : base(nameof(Block))
    {
        norm1 = nn.LayerNorm(dim);
        attn = new Attention(dim, numHeads, headWidth, qkvBias);
        norm2 = nn.LayerNorm(dim);
        mlp = new Mlp(dim, mlpHidden);
        skip_linear = skip ? nn.Linear(2 * dim, dim) : null;
        RegisterComponents();
    }

    /// <summary>True for out-blocks, which take a long skip.</summary>
    public bool TakesSkip => skip_linear is not null;

    /// <inheritdoc/>
    public override Tensor forward(Tensor x, Tensor? skip)
    {
        using var scope = NewDisposeScope();
        if (skip_linear is not null)
        {
            ArgumentNullException.ThrowIfNull(skip);
            x = skip_linear.forward(cat([x, skip], -1));   // [B, T, 2D] → [B, T, D]
        }
        x = x.add(attn.forward(norm1.forward(x)));         // [B, T, D]
        x = x.add(mlp.forward(norm2.forward(x)));          // [B, T, D]
        return x.MoveToOuterDisposeScope();
    }
}
