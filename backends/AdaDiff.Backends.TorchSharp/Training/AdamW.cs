using AdaDiff.Backends.TorchSharp.Safetensors;
using static TorchSharp.torch;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Backends.TorchSharp.Training;

/// <summary>
/// AdamW (decoupled weight decay, bias-corrected moments) over named parameters, with its state as
/// safetensors entries (<c>exp_avg.NAME</c>, <c>exp_avg_sq.NAME</c>) so checkpoints are plain files.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly (string Name, Tensor Parameter, Tensor ExpAvg, Tensor ExpAvgSq)[] slots;

    /// <summary>Creates the optimizer with zero moments.</summary>
    public AdamW(IEnumerable<(string Name, Tensor Parameter)> parameters, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        var list = new List<(string, Tensor, Tensor, Tensor)>();
        foreach ((string name, Tensor parameter) in parameters)
        {
            list.Add((name, parameter, zeros_like(parameter).DetachFromDisposeScope(), zeros_like(parameter).DetachFromDisposeScope()));
        }
        slots = [.. list];
    }

    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }

    /// <summary>Denominator epsilon.</summary>
    public double Eps { get; }

    /// <summary>Decoupled weight decay.</summary>
    public double WeightDecay { get; }

    /// <summary>Steps taken (for bias correction).</summary>
    public long StepCount { get; private set; }

    /// <summary>One update with learning rate <paramref name="lr"/> from the parameters' gradients.</summary>
    public void Step(double lr)
    {
        StepCount++;
        double bc1 = 1 - Math.Pow(Beta1, StepCount);
        double bc2 = 1 - Math.Pow(Beta2, StepCount);
        using var noGrad = no_grad();
        foreach ((_, Tensor p, Tensor m, Tensor v) in slots)
        {
            using var scope = NewDisposeScope();
            Tensor? g = p.grad;
            if (g is null)
            {
                continue;
            }
            if (WeightDecay > 0)
            {
                p.mul_(1 - lr * WeightDecay);
            }
            m.mul_(Beta1).add_(g, 1 - Beta1);
            v.mul_(Beta2).addcmul_(g, g, 1 - Beta2);
            Tensor denom = v.sqrt().div_(Math.Sqrt(bc2)).add_(Eps);
            p.addcdiv_(m, denom, -lr / bc1);
        }
    }

    /// <summary>The moments as safetensors entries.</summary>
    public List<SafetensorsTensor> StateEntries()
    {
        var entries = new List<SafetensorsTensor>(slots.Length * 2);
        foreach ((string name, _, Tensor m, Tensor v) in slots)
        {
            entries.Add(SafetensorsTorch.ToEntry("exp_avg." + name, m));
            entries.Add(SafetensorsTorch.ToEntry("exp_avg_sq." + name, v));
        }
        return entries;
    }

    /// <summary>Restores moments and the step count; throws naming the missing or mis-shaped entry.</summary>
    public void LoadState(SafetensorsFile file, long stepCount, string source)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var noGrad = no_grad();
        foreach ((string name, _, Tensor m, Tensor v) in slots)
        {
            Restore(file, "exp_avg." + name, m, source);
            Restore(file, "exp_avg_sq." + name, v, source);
        }
        StepCount = stepCount;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach ((_, _, Tensor m, Tensor v) in slots)
        {
            m.Dispose();
            v.Dispose();
        }
    }

    private static void Restore(SafetensorsFile file, string key, Tensor target, string source)
    {
        if (!file.ByName.TryGetValue(key, out SafetensorsTensor? entry))
        {
            throw new InvalidDataException($"{source}: missing optimizer tensor '{key}'");
        }
        if (!entry.Shape.AsSpan().SequenceEqual(target.shape))
        {
            throw new InvalidDataException($"{source}: optimizer tensor '{key}' has shape [{string.Join(", ", entry.Shape)}], expected [{string.Join(", ", target.shape)}]");
        }
        using Tensor value = SafetensorsTorch.ToTensor(entry);
        target.copy_(value);
    }
}
