using AdaDiff.Engine;
using Microsoft.ML.OnnxRuntime;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>One <see cref="InferenceSession"/> per stage, created once from the export's graphs.</summary>
internal sealed class StageSessions : IDisposable
{
    private readonly List<InferenceSession> all = [];

    public StageSessions(ModelManifest manifest, OnnxExport export, SessionOptions options)
    {
        try
        {
            Embed = Create(export, "embed", options);
            Layers = new InferenceSession[manifest.Depth];
            Uems = new InferenceSession[manifest.Depth];
            for (int i = 0; i < manifest.Depth; i++)
            {
                Layers[i] = Create(export, OnnxExport.LayerStage(i), options);
                Uems[i] = Create(export, OnnxExport.UemStage(i), options);
            }
            Head = Create(export, "head", options);
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

    public void Dispose()
    {
        foreach (InferenceSession session in all)
        {
            session.Dispose();
        }
        all.Clear();
    }

    private InferenceSession Create(OnnxExport export, string stage, SessionOptions options)
    {
        if (!export.Graphs.TryGetValue(stage, out byte[]? graph))
        {
            throw new InvalidDataException($"{export.Manifest.Model}: the ONNX export has no stage '{stage}'");
        }
        var session = new InferenceSession(graph, options);
        all.Add(session);
        return session;
    }
}
