using TorchSharp;
using static TorchSharp.torch;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Backends.TorchSharp.Safetensors;

/// <summary>Conversions between TorchSharp tensors and safetensors entries, and module state in and out.</summary>
public static class SafetensorsTorch
{
    /// <summary>Copies a float32 or int64 CPU tensor into a safetensors entry.</summary>
    public static SafetensorsTensor ToEntry(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = NewDisposeScope();
        Tensor contiguous = tensor.detach().cpu().contiguous();
        SafetensorsDType dtype = contiguous.dtype switch
        {
            ScalarType.Float32 => SafetensorsDType.F32,
            ScalarType.Float16 => SafetensorsDType.F16,
            ScalarType.Int64 => SafetensorsDType.I64,
            ScalarType.Int32 => SafetensorsDType.I32,
            _ => throw new NotSupportedException($"tensor '{name}': dtype {contiguous.dtype} cannot be written to safetensors here"),
        };
        return new SafetensorsTensor(name, dtype, contiguous.shape, contiguous.bytes.ToArray());
    }

    /// <summary>Creates a float32 (floating entries) or int64 (integer entries) CPU tensor from an entry.</summary>
    public static Tensor ToTensor(SafetensorsTensor entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.DType is SafetensorsDType.F32 or SafetensorsDType.F16
            ? tensor(entry.ToSingles(), entry.Shape, ScalarType.Float32)
            : tensor(entry.ToInt64s(), entry.Shape, ScalarType.Int64);
    }

    /// <summary>The module's parameters and persistent buffers as safetensors entries, in registration order.</summary>
    public static List<SafetensorsTensor> StateEntries(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var entries = new List<SafetensorsTensor>();
        foreach ((string name, Tensor value) in module.state_dict())
        {
            entries.Add(ToEntry(name, value));
        }
        return entries;
    }

    /// <summary>
    /// Copies every parameter and buffer of <paramref name="module"/> from <paramref name="file"/>. Throws
    /// <see cref="InvalidDataException"/> naming <paramref name="source"/> and the tensor when one is missing,
    /// mis-shaped, of the wrong kind, or not part of the module.
    /// </summary>
    public static void LoadInto(nn.Module module, SafetensorsFile file, string source)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(file);
        Dictionary<string, Tensor> state = module.state_dict();
        foreach (SafetensorsTensor entry in file.Tensors)
        {
            if (!state.ContainsKey(entry.Name))
            {
                throw new InvalidDataException($"{source}: unexpected tensor '{entry.Name}' (not a parameter of this model; wrong architecture or config?)");
            }
        }
        using var noGrad = no_grad();
        foreach ((string name, Tensor target) in state)
        {
            if (!file.ByName.TryGetValue(name, out SafetensorsTensor? entry))
            {
                throw new InvalidDataException($"{source}: missing tensor '{name}' (expected shape [{string.Join(", ", target.shape)}])");
            }
            if (!entry.Shape.AsSpan().SequenceEqual(target.shape))
            {
                throw new InvalidDataException($"{source}: tensor '{name}' has shape [{string.Join(", ", entry.Shape)}], expected [{string.Join(", ", target.shape)}]");
            }
            bool targetIsFloat = target.dtype is ScalarType.Float32 or ScalarType.Float16 or ScalarType.Float64;
            bool entryIsFloat = entry.DType is SafetensorsDType.F32 or SafetensorsDType.F16;
            if (targetIsFloat != entryIsFloat)
            {
                throw new InvalidDataException($"{source}: tensor '{name}' is {entry.DType}, expected {target.dtype}");
            }
            using Tensor value = ToTensor(entry);
            target.copy_(value);
        }
    }
}
