using AdaDiff.Engine;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// The sessions of one model: one per stage of the export, created once; and the fused stages (several stages
/// in one call), built from the weights and created at load for the ones every pass uses — embed + the layers
/// before the manifest's default min_layers, the whole network, each layer with its UEM — and on first use, up
/// to <see cref="MaxLazyStages"/>, for the others. Every session uses the same <see cref="SessionOptions"/> (owned
/// here), so one set of shared initializers (the large weights, one native copy for every session) and one
/// pre-packed weights container serve them all. Thread-safe.
/// </summary>
internal sealed class StageSessions : IDisposable
{
    /// <summary>
    /// Bound on the fused sessions created after load (other min_layers prefixes, FIXED_DEPTH depths, odd ranges):
    /// each costs its graph's optimisation at first use and its kernels' buffers. Past it a range runs stage by stage,
    /// which gives the same bytes.
    /// </summary>
    public const int MaxLazyStages = 32;

    // Weights of at least 4 KB are shared between sessions; the small ones (biases, norms, scalars) are not worth it.
    private const int SharedMinBytes = 4096;

    private readonly List<InferenceSession> all = [];
    private readonly Dictionary<FusedStage, FusedSession> fused = [];
    private readonly Lock gate = new();
    private readonly ModelManifest manifest;
    private readonly UViTGraphs? builder;
    private readonly SessionOptions options;
    private readonly PrePackedWeightsContainer? prepacked;
    private readonly Dictionary<string, SharedInitializer> shared = new(StringComparer.Ordinal);
    private int lazy;
    private bool disposed;

    /// <summary>Takes ownership of <paramref name="options"/>.</summary>
    public StageSessions(ModelManifest manifest, OnnxExport export, SessionOptions options, OnnxBackendOptions settings)
    {
        this.manifest = manifest;
        this.options = options;
        builder = settings.FusedStages ? export.Builder : null;
        try
        {
            if (settings.ShareWeights)
            {
                ShareInitializers(export);
                prepacked = new PrePackedWeightsContainer();
            }
            Embed = Create(export, "embed");
            Layers = new InferenceSession[manifest.Depth];
            Uems = new InferenceSession[manifest.Depth];
            for (int i = 0; i < manifest.Depth; i++)
            {
                Layers[i] = Create(export, OnnxExport.LayerStage(i));
                Uems[i] = Create(export, OnnxExport.UemStage(i));
            }
            Head = Create(export, "head");
            if (builder is not null)
            {
                if (manifest.DefaultMinLayers > 1)
                {
                    Add(FusedStage.EmbedRange(manifest.DefaultMinLayers - 1));
                }
                Add(FusedStage.AtDepth(manifest.Depth));
                for (int i = 0; i < manifest.Depth; i++)
                {
                    Add(FusedStage.LayerWithCertainty(i));
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public InferenceSession Embed { get; }

    public InferenceSession[] Layers { get; }

    public InferenceSession[] Uems { get; }

    public InferenceSession Head { get; }

    /// <summary>True when fused stages can be built (the export carries its weights and fusion is on).</summary>
    public bool Fuses => builder is not null;

    /// <summary>Sessions alive (per-stage and fused).</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return all.Count;
            }
        }
    }

    /// <summary>
    /// The session of <paramref name="stage"/>, created now if it is not yet and the bound allows; null when the
    /// caller should run the stages one by one (no fused graphs, or the bound is reached).
    /// </summary>
    public FusedSession? Fused(FusedStage stage)
    {
        if (builder is null)
        {
            return null;
        }
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (fused.TryGetValue(stage, out FusedSession? session))
            {
                return session;
            }
            if (lazy == MaxLazyStages)
            {
                return null;
            }
            lazy++;
            return Add(stage);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            foreach (InferenceSession session in all)
            {
                session.Dispose();
            }
            all.Clear();
            fused.Clear();
            prepacked?.Dispose();
            options.Dispose();
            foreach (SharedInitializer initializer in shared.Values)
            {
                initializer.Dispose();
            }
            shared.Clear();
        }
    }

    private FusedSession Add(FusedStage stage)
    {
        ModelProto graph = builder!.Fused(stage);
        CheckShared(graph, stage.Name);
        var session = new FusedSession(stage, manifest, Track(graph.ToByteArray()));
        fused[stage] = session;
        return session;
    }

    private InferenceSession Create(OnnxExport export, string stage)
    {
        if (!export.Graphs.TryGetValue(stage, out byte[]? graph))
        {
            throw new InvalidDataException($"{export.Manifest.Model}: the ONNX export has no stage '{stage}'");
        }
        return Track(graph);
    }

    private InferenceSession Track(byte[] graph)
    {
        InferenceSession session = prepacked is null ? new InferenceSession(graph, options) : new InferenceSession(graph, options, prepacked);
        all.Add(session);
        return session;
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
                options.AddInitializer(name, initializer.Value);
            }
        }
    }

    /// <summary>A fused graph's initializers must be the shared ones where they share a name (same exporter, same weights).</summary>
    private void CheckShared(ModelProto graph, string stage)
    {
        foreach (TensorProto tensor in graph.Graph.Initializer)
        {
            if (shared.TryGetValue(tensor.Name, out SharedInitializer? initializer) && !tensor.RawData.Span.SequenceEqual(initializer.Bytes))
            {
                throw new InvalidDataException(
                    $"{manifest.Name}: initializer '{tensor.Name}' of the fused stage {stage} differs from the export's; the export was written by another exporter: run 'adadiff-tools export-onnx' again");
            }
        }
    }
}
