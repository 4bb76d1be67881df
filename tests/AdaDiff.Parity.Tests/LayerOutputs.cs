using AdaDiff.Backends.TorchSharp;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Engine.Backends;
using static TorchSharp.torch;

namespace AdaDiff.Parity.Tests;

/// <summary>One named output: shape and float32 values (row-major).</summary>
internal sealed record Output(long[] Shape, float[] Values);

/// <summary>
/// The TorchSharp side of a parity run, under the reference's output names (see reference/README.md):
/// <c>time_embedding</c>, <c>embed</c>, and per 0-based layer i <c>hidden.i</c>, <c>eps.i</c>, <c>uem.i</c>,
/// <c>certainty.i</c>, then the full forward's <c>eps</c>.
/// </summary>
internal static class LayerOutputs
{
    /// <summary>
    /// Through the <see cref="UViT"/> stage methods (the backend exposes no hidden states): embed, each layer
    /// with its long skip, the shared head, the UEM map and certainty, and <see cref="UViT.forward"/>.
    /// </summary>
    public static Dictionary<string, Output> FromModel(UViT model, ParityCase c)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var outputs = new Dictionary<string, Output>(StringComparer.Ordinal);
        Tensor x = tensor(c.Latents, [c.Rows, c.Manifest.Channels, c.Manifest.Height, c.Manifest.Width]); // [B, C, H, W]
        Tensor t = tensor(c.Timesteps, [c.Rows]);                                                       // [B]
        Tensor? y = c.Manifest.Conditioning == AdaDiff.Engine.ConditioningKind.Text
            ? tensor(Array.ConvertAll(c.Labels, l => (long)l), [c.Rows, c.Manifest.ConditionWidth])          // [B, M]
            : c.Manifest.NumClasses > 0 ? tensor(Array.ConvertAll(c.Labels, l => (long)l), [c.Rows]) : null; // [B]
        Tensor temb = model.TimestepEmbedding(t);   // [B, D]
        Tensor h = model.Embed(x, temb, y);         // [B, T, D]
        Add(outputs, "time_embedding", temb);
        Add(outputs, "embed", h);
        var skips = new Stack<Tensor>();
        for (int i = 0; i < model.Depth; i++)
        {
            h = model.Layer(i, h, model.Topology.PopsSkip(i) ? skips.Pop() : null); // [B, T, D]
            if (model.Topology.PushesSkip(i))
            {
                skips.Push(h);
            }
            Add(outputs, $"hidden.{i}", h);
            Add(outputs, $"eps.{i}", model.Head(h));                                      // [B, C, H, W]
            Add(outputs, $"uem.{i}", model.Unpatchify(model.UemPatches(i, h, temb)));     // [B, C, H, W]
            Add(outputs, $"certainty.{i}", model.Certainty(i, h, temb));                  // [B]
        }
        Add(outputs, "eps", model.forward(x, t, y));
        return outputs;
    }

    /// <summary>
    /// Through the serving path (<see cref="IDenoiserBackend.Begin"/>, then per layer RunLayer, Certainty and
    /// Predict of every row), as <c>batch.eps.i</c> and <c>batch.certainty.i</c>. After layer
    /// <paramref name="dropAfterLayer"/> (1-based) row <paramref name="dropRow"/> leaves with Keep, so later
    /// layers run on a compacted batch and its long skips; returns the rows kept, in order.
    /// </summary>
    public static (Dictionary<string, Output> Outputs, int[] KeptRows) FromBackend(IDenoiserBackend backend, ParityCase c, int dropAfterLayer, int dropRow)
    {
        var outputs = new Dictionary<string, Output>(StringComparer.Ordinal);
        int imageSize = c.Manifest.ImageSize;
        int[] rows = Enumerable.Range(0, c.Rows).ToArray();
        using IDenoiserBatch batch = backend.Begin(c.Latents, c.Timesteps, c.Labels);
        for (int layer = 1; layer <= backend.Manifest.Depth; layer++)
        {
            batch.RunLayer();
            var certainty = new float[batch.Count];
            batch.Certainty(certainty);
            var eps = new float[batch.Count * imageSize];
            batch.Predict(Enumerable.Range(0, batch.Count).ToArray(), eps);
            outputs[$"batch.certainty.{layer - 1}"] = new Output([batch.Count], certainty);
            outputs[$"batch.eps.{layer - 1}"] = new Output([batch.Count, c.Manifest.Channels, c.Manifest.Height, c.Manifest.Width], eps);
            if (layer == dropAfterLayer)
            {
                int[] keep = Enumerable.Range(0, batch.Count).Where(r => r != dropRow).ToArray();
                batch.Keep(keep);
                rows = rows.Where(r => r != dropRow).ToArray();
            }
        }
        return (outputs, rows);
    }

    private static void Add(Dictionary<string, Output> outputs, string name, Tensor value)
    {
        Tensor contiguous = value.contiguous();
        outputs.Add(name, new Output(contiguous.shape, contiguous.data<float>().ToArray()));
    }
}
