using System.Buffers.Binary;
using System.Runtime.InteropServices;
using AdaDiff.Grpc.V1;
using Google.Protobuf;

namespace AdaDiff.Server.Internal;

/// <summary>Packs float latents as <see cref="Tensor"/> messages: little-endian FLOAT32 or FLOAT16 bytes.</summary>
internal static class TensorCodec
{
    /// <summary>A [N, C, H, W] tensor of <paramref name="values"/> in <paramref name="dtype"/>.</summary>
    public static Tensor Encode(ReadOnlySpan<float> values, int n, int c, int h, int w, DType dtype)
    {
        if ((long)n * c * h * w != values.Length)
        {
            throw new ArgumentException($"{values.Length} values do not fill [{n}, {c}, {h}, {w}].", nameof(values));
        }
        byte[] data;
        if (dtype == DType.Float16)
        {
            data = new byte[values.Length * 2];
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2 * i), (Half)values[i]);
            }
        }
        else if (dtype == DType.Float32)
        {
            data = new byte[values.Length * 4];
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.AsBytes(values).CopyTo(data);
            }
            else
            {
                for (int i = 0; i < values.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), values[i]);
                }
            }
        }
        else
        {
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Only FLOAT32 and FLOAT16 are encoded.");
        }
        // The array is new and never written again: wrap it instead of copying (a 16-image 28x28 latent is 50 KB).
        return new Tensor { Shape = { n, c, h, w }, Dtype = dtype, Data = UnsafeByteOperations.UnsafeWrap(data) };
    }
}
