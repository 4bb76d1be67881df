using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp.Pruning;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Packaging;
using static TorchSharp.torch;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>
/// Both backends on one tiny random class model pruned structurally (<see cref="StructuredPruning"/>: one head of two
/// and a quarter of the MLP channels kept in each layer), written by TorchSharp and exported to ONNX like any package.
/// </summary>
public sealed class PrunedBackendsFixture : BackendPair
{
    public PrunedBackendsFixture() : base("adadiff-conformance-pruned-")
    {
        manual_seed(31);
        using (var model = new UViT(UViTConfig.Tiny() with { Weights = new WeightsFile { File = ModelPackage.WeightsFileName } }))
        {
            using UViT pruned = StructuredPruning.Apply(model, StructuredPruning.Select(model, keepHeads: 1, keepMlp: 0.25));
            UViTPackage.Save(Directory, pruned.Manifest, pruned);
        }
        PackageWeights weights = PackageWeights.Read(Directory);
        OnnxExport.Create(weights.Manifest, weights.Bytes, weights.Path).Write(Directory);
        Load();
    }
}

/// <summary>A pruned model through the seam: the same widths read by both backends, every stage within the suite's tolerance.</summary>
public sealed class PrunedModelConformanceTests(PrunedBackendsFixture fixture) : IClassFixture<PrunedBackendsFixture>
{
    private const double Tolerance = 1e-4;

    [Fact]
    public void Manifest_PrunedWidths_ReadTheSameByBothBackends()
    {
        ModelManifest m = fixture.Onnx.Manifest;
        var topology = UViTTopology.Of(m);
        Assert.True(topology.IsPruned);
        Assert.All(Enumerable.Range(0, m.Depth), layer =>
        {
            Assert.Equal(1, topology.Heads(layer));
            Assert.Equal(16, topology.AttentionWidth(layer));
            Assert.Equal(16, topology.MlpHiddenOf(layer));
        });
        Assert.True(m.SameArchitecture(fixture.TorchSharp.Manifest));
    }

    [Fact]
    public void EveryLayer_SameInputs_CertaintyAndPredictionWithin1e4()
    {
        ModelManifest m = fixture.TorchSharp.Manifest;
        const int rows = 5;
        float[] x = Inputs.Latents(m, rows, seed: 3);
        float[] t = Inputs.Timesteps(m, rows);
        int[] y = Inputs.Labels(m, rows);
        (float[][] ca, float[][] pa) = Passes.StepByStep(fixture.TorchSharp, x, t, y);
        (float[][] cb, float[][] pb) = Passes.StepByStep(fixture.Onnx, x, t, y);
        for (int layer = 0; layer < m.Depth; layer++)
        {
            Assert.True(Floats.MaxAbsDiff(ca[layer], cb[layer]) <= Tolerance, $"layer {layer}: certainty differs by {Floats.MaxAbsDiff(ca[layer], cb[layer]):E2}");
            Assert.True(Floats.MaxAbsDiff(pa[layer], pb[layer]) <= Tolerance, $"layer {layer}: prediction differs by {Floats.MaxAbsDiff(pa[layer], pb[layer]):E2}");
        }
    }
}
