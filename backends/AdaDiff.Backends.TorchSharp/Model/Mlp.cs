using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Model;

/// <summary>Transformer MLP: Linear → GELU (exact, erf) → Linear.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;

    /// <summary>Creates the MLP D → hidden → D.</summary>
    public Mlp(int dim, int hidden) : base(nameof(Mlp))
    {
        fc1 = nn.Linear(dim, hidden);
        fc2 = nn.Linear(hidden, dim);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor h = fc1.forward(x);      // [B, L, hidden]
        h = nn.functional.gelu(h);      // [B, L, hidden]
        h = fc2.forward(h);             // [B, L, D]
        return h.MoveToOuterDisposeScope();
    }
}
