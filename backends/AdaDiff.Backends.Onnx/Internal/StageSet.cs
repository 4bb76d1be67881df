using AdaDiff.Engine;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// One session per stage of the export, created at load, and the fused stages (several stages in one call), built
/// from the weights: at load the ones every pass uses — embed + the layers before the manifest's default min_layers,
/// the whole network, each layer with its UEM — and on first use, up to <see cref="MaxLazyStages"/>, the others.
/// Every session is created with the same <see cref="SessionOptions"/> (owned by <see cref="StageSessions"/>), which
/// decide its threads. Guarded by the lock of the <see cref="StageSessions"/> that owns it.
/// </summary>
internal sealed class StageSet : IDisposable
{
    /// <summary>
    /// Bound on the fused sessions created after load (other min_layers prefixes, FIXED_DEPTH depths, odd ranges):
    /// each costs its graph's optimisation at first use and its kernels' buffers. Past it a range runs stage by stage,
    /// which gives the same bytes.
    /// </summary>
    public const int MaxLazyStages = 32;

    private readonly List<InferenceSession> all = [];
    private readonly Dictionary<FusedStage, FusedSession> fused = [];
    private readonly Lock gate;
    private readonly ModelManifest manifest;
    private readonly UViTGraphs? builder;
    private readonly SessionOptions options;
    private readonly PrePackedWeightsContainer? prepacked;
    private readonly Action<ModelProto, string, string> checkShared;
    private int lazy;
    private bool disposed;

    public StageSet(
        ModelManifest manifest,
        OnnxExport export,
        UViTGraphs? builder,
        SessionOptions options,
        PrePackedWeightsContainer? prepacked,
        Lock gate,
        Action<ModelProto, string, string> checkShared)
    {
        this.manifest = manifest;
        this.builder = builder;
        this.options = options;
        this.prepacked = prepacked;
        this.gate = gate;
        this.checkShared = checkShared;
        try
        {
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

    /// <summary>Sessions alive (per-stage and fused); read under the owner's lock.</summary>
    public int Count => all.Count;

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

    /// <summary>Disposes the sessions; the options, the shared initializers and the pre-packed container are the owner's.</summary>
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
        }
    }

    private FusedSession Add(FusedStage stage)
    {
        ModelProto graph = builder!.Fused(stage);
        checkShared(graph, stage.Name, manifest.Name);
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
}
