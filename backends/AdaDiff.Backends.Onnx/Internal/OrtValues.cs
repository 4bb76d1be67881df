using AdaDiff.Engine;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// The tensors a batch keeps between calls: allocated by ONNX Runtime's default allocator, wrapped around the
/// caller's memory, or gathered row by row (native to native copies) when the batch is compacted.
/// </summary>
internal static unsafe class OrtValues
{
    public static OrtValue Allocate(TensorElementType type, params long[] shape) =>
        OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);

    /// <summary>A float tensor of <paramref name="shape"/> over <paramref name="length"/> floats the caller owns (and keeps fixed).</summary>
    public static OrtValue Wrap(float* data, int length, params long[] shape) =>
        OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape, (IntPtr)data, (long)length * sizeof(float));

    /// <summary>Disposes <paramref name="old"/> and returns <paramref name="replacement"/>.</summary>
    public static OrtValue Replace(OrtValue old, OrtValue replacement)
    {
        old.Dispose();
        return replacement;
    }

    /// <summary>A new value holding the given rows of <paramref name="source"/> (native to native copies).</summary>
    public static OrtValue Gather(OrtValue source, ReadOnlySpan<int> rows, int rowSize, params long[] innerShape)
    {
        long[] shape = [rows.Length, .. innerShape];
        OrtValue result = Allocate(TensorElementType.Float, shape);
        ReadOnlySpan<float> from = source.GetTensorDataAsSpan<float>();
        Span<float> to = result.GetTensorMutableDataAsSpan<float>();
        for (int i = 0; i < rows.Length; i++)
        {
            from.Slice(rows[i] * rowSize, rowSize).CopyTo(to.Slice(i * rowSize, rowSize));
        }
        return result;
    }

    /// <summary>The condition input y of the embedding: class labels [B], or prompt token ids [B, M] of a text model (int64).</summary>
    public static OrtValue Conditions(ModelManifest manifest, ReadOnlySpan<int> conditions, int rows)
    {
        OrtValue y = AllocateConditions(manifest, rows);
        Span<long> values = y.GetTensorMutableDataAsSpan<long>();
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = conditions[i];
        }
        return y;
    }

    /// <summary>The given rows of a condition input (<see cref="Conditions"/>), in a new value.</summary>
    public static OrtValue GatherConditions(OrtValue source, ReadOnlySpan<int> rows, ModelManifest manifest)
    {
        int width = manifest.ConditionWidth;
        OrtValue result = AllocateConditions(manifest, rows.Length);
        ReadOnlySpan<long> from = source.GetTensorDataAsSpan<long>();
        Span<long> to = result.GetTensorMutableDataAsSpan<long>();
        for (int i = 0; i < rows.Length; i++)
        {
            from.Slice(rows[i] * width, width).CopyTo(to.Slice(i * width, width));
        }
        return result;
    }

    /// <summary>An int64 condition input for <paramref name="rows"/> rows: [B] for class labels, [B, M] for a text model's prompt tokens.</summary>
    private static OrtValue AllocateConditions(ModelManifest manifest, int rows) => manifest.Conditioning == ConditioningKind.Text
        ? Allocate(TensorElementType.Int64, rows, manifest.ConditionWidth)
        : Allocate(TensorElementType.Int64, rows);
}
