using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Exits;
using Xunit.Abstractions;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>The engine's adaptive pass on both backends takes the same exits where certainty is not at the threshold.</summary>
[Collection(BackendsCollection.Name)]
public sealed class ExitDecisionTests(BackendsFixture fixture, ITestOutputHelper output)
{
    private const double Margin = 1e-3;

    [Fact]
    public void AdaptivePass_FixedInputs_SameExitLayers()
    {
        ModelManifest m = fixture.TorchSharp.Manifest;
        const int rows = 16;
        float[] x = Inputs.Latents(m, rows, seed: 21);
        float[] t = Inputs.Timesteps(m, rows);
        int[] y = Inputs.Labels(m, rows);
        float[,] certainty = Certainties(fixture.TorchSharp, x, t, y);

        // A threshold inside the observed certainties, in the widest gap of their middle half, so rows exit at
        // different layers and few values sit near it.
        var sorted = new List<float>();
        foreach (float c in certainty)
        {
            sorted.Add(c);
        }
        sorted.Sort();
        float threshold = 0, gap = -1;
        for (int i = sorted.Count / 4; i < 3 * sorted.Count / 4; i++)
        {
            if (sorted[i + 1] - sorted[i] > gap)
            {
                gap = sorted[i + 1] - sorted[i];
                threshold = (sorted[i] + sorted[i + 1]) / 2;
            }
        }

        var policy = new ExitPolicySettings(ExitMode.Adaptive, threshold, 1, 0);
        int[] exitsA = Exits(fixture.TorchSharp, policy, x, t, y);
        int[] exitsB = Exits(fixture.Onnx, policy, x, t, y);
        int clear = 0;
        var distinct = new HashSet<int>();
        for (int row = 0; row < rows; row++)
        {
            bool near = false;
            for (int layer = 0; layer < m.Depth; layer++)
            {
                near |= Math.Abs(certainty[row, layer] - threshold) <= Margin;
            }
            if (!near)
            {
                clear++;
                distinct.Add(exitsA[row]);
                Assert.True(exitsA[row] == exitsB[row], $"row {row}: torchsharp exits at {exitsA[row]}, onnxruntime at {exitsB[row]} (threshold {threshold})");
            }
        }
        output.WriteLine($"threshold {threshold:F5}: {clear} of {rows} rows clear of it by > {Margin}; exits {string.Join(",", exitsA)}");
        Assert.True(clear >= rows / 2, $"only {clear} rows are clear of the threshold");
        Assert.True(distinct.Count >= 2, "every clear row exits at the same layer: the test would not notice a wrong decision");
    }

    private static float[,] Certainties(AdaDiff.Backends.TorchSharp.TorchSharpBackend backend, float[] x, float[] t, int[] y)
    {
        int depth = backend.Manifest.Depth;
        var result = new float[t.Length, depth];
        using IDenoiserBatch batch = backend.Begin(x, t, y);
        var c = new float[t.Length];
        for (int layer = 0; layer < depth; layer++)
        {
            batch.RunLayer();
            batch.Certainty(c);
            for (int row = 0; row < t.Length; row++)
            {
                result[row, layer] = c[row];
            }
        }
        return result;
    }

    private static int[] Exits(IDenoiserBackend backend, ExitPolicySettings policy, float[] x, float[] t, int[] y)
    {
        int size = backend.Manifest.ImageSize;
        var batch = new DenoiseBatch(size, t.Length);
        batch.AddGroup(ExitPolicy.Create(policy), 0, CancellationToken.None);
        for (int row = 0; row < t.Length; row++)
        {
            batch.AddImage(x.AsSpan(row * size, size), t[row], y[row], null);
        }
        new AdaptiveDenoiser(backend).Run(batch);
        var exits = new int[t.Length];
        for (int row = 0; row < t.Length; row++)
        {
            exits[row] = batch.ExitLayer(row);
        }
        return exits;
    }
}
