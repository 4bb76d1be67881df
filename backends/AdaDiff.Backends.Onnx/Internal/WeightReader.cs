using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// Hands out the float32 tensors of a safetensors file by PyTorch name, checking each shape, and
/// remembers which were taken so that an export can refuse a file with tensors it would silently drop.
/// </summary>
internal sealed class WeightReader(SafetensorsFile file, string source)
{
    private readonly HashSet<string> taken = new(StringComparer.Ordinal);

    public bool Has(string name) => file.ByName.ContainsKey(name);

    /// <summary>The tensor's values; throws <see cref="InvalidDataException"/> when missing, not F32 or mis-shaped.</summary>
    public float[] Take(string name, params long[] shape)
    {
        if (!file.ByName.TryGetValue(name, out SafetensorsTensor? tensor))
        {
            throw new InvalidDataException($"{source}: tensor '{name}' is missing");
        }
        if (tensor.DType != SafetensorsDType.F32)
        {
            throw new InvalidDataException($"{source}: tensor '{name}' is {tensor.DType}; the exporter writes float32 graphs and takes F32 weights only");
        }
        if (!tensor.Shape.AsSpan().SequenceEqual(shape))
        {
            throw new InvalidDataException($"{source}: tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}], expected [{string.Join(", ", shape)}]");
        }
        taken.Add(name);
        return tensor.ToSingles();
    }

    /// <summary>A Linear's weight [out, in] transposed to [in, out] for MatMul.</summary>
    public float[] TakeTransposed(string name, int outFeatures, int inFeatures)
    {
        float[] w = Take(name, outFeatures, inFeatures);
        var t = new float[w.Length];
        for (int o = 0; o < outFeatures; o++)
        {
            for (int i = 0; i < inFeatures; i++)
            {
                t[(i * outFeatures) + o] = w[(o * inFeatures) + i];
            }
        }
        return t;
    }

    /// <summary>Throws when the file holds tensors no stage used (a model the exporter cannot express).</summary>
    public void RequireAllTaken()
    {
        List<string> left = [];
        foreach (SafetensorsTensor tensor in file.Tensors)
        {
            if (!taken.Contains(tensor.Name))
            {
                left.Add(tensor.Name);
            }
        }
        if (left.Count > 0)
        {
            string shown = string.Join(", ", left.Take(8)) + (left.Count > 8 ? $", … ({left.Count} in all)" : "");
            throw new InvalidDataException($"{source}: the exporter cannot express tensors {shown}: they are not part of the U-ViT with exits it knows (uvit-adadiff without qkv bias)");
        }
    }
}
