using AdaDiff.Engine.Backends;
using Microsoft.ML.OnnxRuntime;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// A batch's spare output buffers [B, T, D]: values its <see cref="LayerState{T}"/> let go of, rented again for the
/// next outputs instead of allocated, and disposed when the batch's row count changes or the batch ends.
/// </summary>
internal sealed class SpareValues : IValueRelease<OrtValue>, IDisposable
{
    private readonly Stack<OrtValue> values = new();

    /// <summary>Keeps <paramref name="value"/> for reuse (the last kept is the first rented).</summary>
    public void Release(OrtValue value) => values.Push(value);

    /// <summary>A spare value, if there is one.</summary>
    public bool TryRent([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out OrtValue? value) => values.TryPop(out value);

    /// <summary>Disposes every spare value.</summary>
    public void Clear()
    {
        while (values.Count > 0)
        {
            values.Pop().Dispose();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Clear();
}
