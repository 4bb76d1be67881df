using AdaDiff.Engine;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// The sessions of one model, in one or two <see cref="StageSet"/>s: the pooled set, whose sessions run on the
/// process-wide intra-op pool, and, when <see cref="OnnxBackendOptions.SingleThreadRows"/> is above 0 and the pool has
/// more than one thread, the single-thread set, whose sessions run every operator on the calling thread; passes of
/// at most that many rows take it (<see cref="For"/>), because a small pass's operators are too short to pay for
/// waking the pool's workers. Every session of a set uses its set's <see cref="SessionOptions"/> (owned here); both
/// sets read one set of shared initializers (the large weights, one native copy for every session) and one
/// pre-packed weights container. Thread-safe.
/// </summary>
internal sealed class StageSessions : IDisposable
{
    /// <summary>
    /// Bound on the fused sessions a set creates after load (other min_layers prefixes, FIXED_DEPTH depths, odd
    /// ranges): each costs its graph's optimisation at first use and its kernels' buffers. Past it a range runs stage
    /// by stage, which gives the same bytes.
    /// </summary>
    public const int MaxLazyStages = StageSet.MaxLazyStages;

    // Weights of at least 4 KB are shared between sessions; the small ones (biases, norms, scalars) are not worth it.
    private const int SharedMinBytes = 4096;

    private readonly Lock gate = new();
    private readonly PrePackedWeightsContainer? prepacked;
    private readonly Dictionary<string, SharedInitializer> shared = new(StringComparer.Ordinal);
    private readonly List<SessionOptions> options = [];
    private readonly StageSet? singleThread;
    private readonly int singleThreadRows;
    private bool disposed;

    /// <summary>
    /// Takes ownership of <paramref name="pooledOptions"/> and <paramref name="singleThreadOptions"/> (null: no
    /// single-thread set).
    /// </summary>
    public StageSessions(ModelManifest manifest, OnnxExport export, SessionOptions pooledOptions, SessionOptions? singleThreadOptions, OnnxBackendOptions settings)
    {
        options.Add(pooledOptions);
        if (singleThreadOptions is not null)
        {
            options.Add(singleThreadOptions);
        }
        UViTGraphs? builder = settings.FusedStages ? export.Builder : null;
        try
        {
            if (settings.ShareWeights)
            {
                ShareInitializers(export);
                prepacked = new PrePackedWeightsContainer();
            }
            Pooled = new StageSet(manifest, export, builder, pooledOptions, prepacked, gate, CheckShared);
            if (singleThreadOptions is not null)
            {
                singleThread = new StageSet(manifest, export, builder, singleThreadOptions, prepacked, gate, CheckShared);
                singleThreadRows = settings.SingleThreadRows;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        Fuses = builder is not null;
    }

    /// <summary>The sessions on the process-wide intra-op pool.</summary>
    public StageSet Pooled { get; }

    /// <summary>Passes of at most this many rows run on the calling thread alone; 0 when every pass takes the pool.</summary>
    public int SingleThreadRows => singleThread is null ? 0 : singleThreadRows;

    /// <summary>True when fused stages can be built (the export carries its weights and fusion is on).</summary>
    public bool Fuses { get; }

    /// <summary>Sessions alive (per-stage and fused, in both sets).</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return Pooled.Count + (singleThread?.Count ?? 0);
            }
        }
    }

    /// <summary>The set a call on <paramref name="rows"/> rows runs in.</summary>
    public StageSet For(int rows) => singleThread is not null && rows <= singleThreadRows ? singleThread : Pooled;

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }
            disposed = true;
            Pooled?.Dispose();
            singleThread?.Dispose();
            prepacked?.Dispose();
            foreach (SessionOptions option in options)
            {
                option.Dispose();
            }
            foreach (SharedInitializer initializer in shared.Values)
            {
                initializer.Dispose();
            }
            shared.Clear();
        }
    }

    /// <summary>
    /// One native copy of every large float initializer that has the same bytes in every stage graph that names it
    /// (the layers' weights; not the per-UEM constants that reuse a name), added to the session options so that
    /// every session reads it instead of its own.
    /// </summary>
    private void ShareInitializers(OnnxExport export)
    {
        var seen = new Dictionary<string, TensorProto?>(StringComparer.Ordinal); // null: the name means different tensors in different graphs
        foreach (byte[] bytes in export.Graphs.Values)
        {
            foreach (TensorProto tensor in ModelProto.Parser.ParseFrom(bytes).Graph.Initializer)
            {
                if (tensor.DataType != (int)TensorProto.Types.DataType.Float || tensor.RawData.Length < SharedMinBytes)
                {
                    continue;
                }
                if (!seen.TryGetValue(tensor.Name, out TensorProto? first))
                {
                    seen[tensor.Name] = tensor;
                }
                else if (first is not null && (!first.Dims.Equals(tensor.Dims) || !tensor.RawData.Span.SequenceEqual(first.RawData.Span)))
                {
                    seen[tensor.Name] = null;
                }
            }
        }
        foreach ((string name, TensorProto? tensor) in seen)
        {
            if (tensor is not null)
            {
                var initializer = new SharedInitializer(tensor.RawData.Span, [.. tensor.Dims]);
                shared[name] = initializer;
                foreach (SessionOptions option in options)
                {
                    option.AddInitializer(name, initializer.Value);
                }
            }
        }
    }

    /// <summary>A fused graph's initializers must be the shared ones where they share a name (same exporter, same weights).</summary>
    private void CheckShared(ModelProto graph, string stage, string model)
    {
        foreach (TensorProto tensor in graph.Graph.Initializer)
        {
            if (shared.TryGetValue(tensor.Name, out SharedInitializer? initializer) && !tensor.RawData.Span.SequenceEqual(initializer.Bytes))
            {
                throw new InvalidDataException(
                    $"{model}: initializer '{tensor.Name}' of the fused stage {stage} differs from the export's; the export was written by another exporter: run 'adadiff-tools export-onnx' again");
            }
        }
    }
}
