using System.Buffers.Binary;
using AdaDiff.Grpc.V1;

namespace AdaDiff.Client;

/// <summary>A streamed latent decoded to 32-bit floats, row-major, with its shape ([images, channels, height, width]).</summary>
public sealed class LatentArray
{
    private LatentArray(long[] shape, float[] data)
    {
        Shape = shape;
        Data = data;
    }

    /// <summary>Dimensions, outermost first.</summary>
    public long[] Shape { get; }

    /// <summary>product(Shape) elements, row-major.</summary>
    public float[] Data { get; }

    /// <summary>Element at a full index (one coordinate per dimension).</summary>
    public float this[params long[] index]
    {
        get
        {
            if (index.Length != Shape.Length)
            {
                throw new ArgumentException($"Expected {Shape.Length} coordinates, got {index.Length}.", nameof(index));
            }
            long offset = 0;
            for (int d = 0; d < Shape.Length; d++)
            {
                if ((ulong)index[d] >= (ulong)Shape[d])
                {
                    throw new ArgumentOutOfRangeException(nameof(index), $"Coordinate {d} is {index[d]}, outside 0..{Shape[d] - 1}.");
                }
                offset = offset * Shape[d] + index[d];
            }
            return Data[offset];
        }
    }

    /// <summary>Decodes a little-endian FLOAT32 or FLOAT16 tensor; fails on a size that does not match the shape.</summary>
    public static LatentArray Decode(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        long count = 1;
        foreach (long dim in tensor.Shape)
        {
            if (dim < 0)
            {
                throw new InvalidDataException($"Negative dimension {dim} in tensor shape.");
            }
            count *= dim;
        }
        ReadOnlySpan<byte> bytes = tensor.Data.Span;
        int size = tensor.Dtype switch
        {
            DType.Float32 => 4,
            DType.Float16 => 2,
            _ => throw new InvalidDataException($"Unsupported tensor dtype {tensor.Dtype}."),
        };
        if (bytes.Length != count * size)
        {
            throw new InvalidDataException($"Tensor of shape [{string.Join(", ", tensor.Shape)}] and dtype {tensor.Dtype} needs {count * size} bytes, got {bytes.Length}.");
        }
        var data = new float[count];
        if (size == 4)
        {
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * 4, 4));
            }
        }
        else
        {
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.Slice(i * 2, 2));
            }
        }
        return new LatentArray([.. tensor.Shape], data);
    }
}
