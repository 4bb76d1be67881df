using System.Runtime.InteropServices;

namespace AdaDiff.Packaging.Safetensors;

/// <summary>One named tensor of a safetensors file: dtype, shape and its raw little-endian bytes.</summary>
public sealed class SafetensorsTensor
{
    /// <summary>Creates a tensor entry; checks that the byte count matches dtype and shape.</summary>
    public SafetensorsTensor(string name, SafetensorsDType dtype, long[] shape, ReadOnlyMemory<byte> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        long elements = 1;
        foreach (long dim in shape)
        {
            if (dim < 0)
            {
                throw new ArgumentException($"tensor '{name}': negative dimension in shape [{string.Join(", ", shape)}]", nameof(shape));
            }
            elements *= dim;
        }
        if (elements * dtype.ElementSize() != data.Length)
        {
            throw new ArgumentException(
                $"tensor '{name}': {data.Length} bytes do not hold {elements} {dtype} elements of shape [{string.Join(", ", shape)}]",
                nameof(data));
        }
        Name = name;
        DType = dtype;
        Shape = shape;
        Data = data;
        ElementCount = elements;
    }

    /// <summary>Tensor name (PyTorch state-dict key).</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>Shape, outermost first.</summary>
    public long[] Shape { get; }

    /// <summary>Raw little-endian bytes, row-major.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Number of elements.</summary>
    public long ElementCount { get; }

    /// <summary>Creates an F32 tensor from floats (copied).</summary>
    public static SafetensorsTensor FromSingles(string name, long[] shape, ReadOnlySpan<float> values) =>
        new(name, SafetensorsDType.F32, shape, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>The values as float32 (F16 is widened); throws for integer tensors.</summary>
    public float[] ToSingles()
    {
        var result = new float[ElementCount];
        ReadOnlySpan<byte> bytes = Data.Span;
        switch (DType)
        {
            case SafetensorsDType.F32:
                if (BitConverter.IsLittleEndian)
                {
                    bytes.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
                }
                else
                {
                    for (int i = 0; i < result.Length; i++)
                    {
                        result[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
                    }
                }
                break;
            case SafetensorsDType.F16:
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = (float)System.Buffers.Binary.BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]);
                }
                break;
            default:
                throw new InvalidDataException($"tensor '{Name}' is {DType}, not a floating-point tensor");
        }
        return result;
    }

    /// <summary>The values as int64 (I32 is widened); throws for float tensors.</summary>
    public long[] ToInt64s()
    {
        var result = new long[ElementCount];
        ReadOnlySpan<byte> bytes = Data.Span;
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = DType switch
            {
                SafetensorsDType.I64 => System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(bytes[(i * 8)..]),
                SafetensorsDType.I32 => System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * 4)..]),
                _ => throw new InvalidDataException($"tensor '{Name}' is {DType}, not an integer tensor"),
            };
        }
        return result;
    }
}
