using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// A float initializer in memory the backend owns (ONNX Runtime's shared initializers must be), 64-byte aligned,
/// alive until every session that reads it is disposed.
/// </summary>
internal sealed unsafe class SharedInitializer : IDisposable
{
    private readonly int length;
    private void* data;

    public SharedInitializer(ReadOnlySpan<byte> bytes, long[] shape)
    {
        length = bytes.Length;
        data = NativeMemory.AlignedAlloc((nuint)length, 64);
        bytes.CopyTo(new Span<byte>(data, length));
        Value = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape, (IntPtr)data, length);
    }

    /// <summary>The raw little-endian floats, as the graphs hold them (to check that a graph names the same tensor).</summary>
    public ReadOnlySpan<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(data is null, this);
            return new ReadOnlySpan<byte>(data, length);
        }
    }

    public OrtValue Value { get; }

    public void Dispose()
    {
        if (data is not null)
        {
            Value.Dispose();
            NativeMemory.AlignedFree(data);
            data = null;
        }
    }
}
