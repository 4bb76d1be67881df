using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.Onnx.Internal;
using AdaDiff.Engine;
using AdaDiff.Packaging;
using AdaDiff.Packaging.Safetensors;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>The ONNX backend's own behaviour: the export, its refusals, the CUDA provider (the export's cache: <see cref="OnnxExportCacheTests"/>).</summary>
[Collection(BackendsCollection.Name)]
public sealed class OnnxBackendTests(BackendsFixture fixture) : IDisposable
{
    private readonly string scratch = Path.Combine(Path.GetTempPath(), "adadiff-onnx-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Export_Graphs_Opset17WithHashesOfWeightsAndGraphs()
    {
        OnnxExport export = OnnxExport.Read(fixture.Directory)!;
        PackageWeights weights = PackageWeights.Read(fixture.Directory);
        Assert.Equal(17, export.Manifest.Opset);
        Assert.Equal(weights.Sha256, export.Manifest.WeightsSha256);
        Assert.Equal(2 + (2 * weights.Manifest.Depth), export.Manifest.Stages.Count);
        foreach (OnnxStageFile stage in export.Manifest.Stages)
        {
            Assert.Equal(ModelPackage.Sha256(File.ReadAllBytes(Path.Combine(fixture.Directory, "onnx", stage.File))), stage.Sha256);
        }
    }

    /// <summary>
    /// ONNX Runtime's optimizer may fuse nodes across what was a stage boundary inside a larger graph (Add +
    /// LayerNormalization into SkipLayerNormalization, say), which would change the last bits of a fused call against
    /// the per-stage calls. Checked on the optimized graphs themselves, whatever the inputs: each fused graph after
    /// optimisation has exactly the operators of its stages' graphs after optimisation (Identity aside: output renames).
    /// </summary>
    [Fact]
    public void FusedGraphs_Optimized_SameOperatorsAsTheirStagesNothingFusedAcrossABoundary()
    {
        OnnxExport export = OnnxExport.Read(fixture.Directory, PackageWeights.Read(fixture.Directory))!;
        int depth = export.Builder!.Depth;
        Directory.CreateDirectory(scratch);
        FusedStage[] stages = [FusedStage.AtDepth(depth), FusedStage.EmbedRange(5), FusedStage.Range(4, 6), FusedStage.LayerWithCertainty(9)];
        foreach (FusedStage stage in stages)
        {
            var expected = new Dictionary<string, int>(StringComparer.Ordinal);
            List<string> parts = [];
            if (stage.Embed)
            {
                parts.Add("embed");
            }
            for (int layer = stage.First; layer < stage.End; layer++)
            {
                parts.Add(OnnxExport.LayerStage(layer));
            }
            if (stage.Certainty)
            {
                parts.Add(OnnxExport.UemStage(stage.End - 1));
            }
            if (stage.Head)
            {
                parts.Add("head");
            }
            foreach (string part in parts)
            {
                foreach ((string op, int count) in OptimizedOperators(export.Graphs[part], part))
                {
                    expected[op] = expected.GetValueOrDefault(op) + count;
                }
            }
            Dictionary<string, int> actual = OptimizedOperators(export.Builder.Fused(stage).ToByteArray(), stage.Name);
            Assert.True(actual.Count > 5, $"{stage.Name}: {actual.Count} operator types");
            Assert.Equal(Describe(expected), Describe(actual));
        }
    }

    [Fact]
    public void Export_UnknownArchitecture_FailsNamingIt()
    {
        PackageWeights weights = PackageWeights.Read(fixture.Directory);
        var e = Assert.Throws<InvalidDataException>(() => OnnxExport.Create(weights.Manifest with { Architecture = "dit" }, weights.Bytes, "w"));
        Assert.Contains("architecture 'dit' cannot be exported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_TensorItCannotExpress_FailsNamingIt()
    {
        PackageWeights weights = PackageWeights.Read(fixture.Directory);
        SafetensorsFile file = SafetensorsFile.Parse(weights.Bytes, "w");
        List<SafetensorsTensor> tensors = [.. file.Tensors, SafetensorsTensor.FromSingles("time_embed.0.weight", [2], [1f, 2f])];
        using var stream = new MemoryStream();
        new SafetensorsFile(tensors).WriteTo(stream);
        var e = Assert.Throws<InvalidDataException>(() => OnnxExport.Create(weights.Manifest, stream.ToArray(), "extra.safetensors"));
        Assert.Contains("cannot express tensors time_embed.0.weight", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_Unavailable_FailsWithWhatItNeeds()
    {
        OnnxExport export = OnnxExport.Read(fixture.Directory)!;
        ModelManifest manifest = fixture.Onnx.Manifest;
        var e = Assert.Throws<InvalidOperationException>(() => new OnnxBackend(manifest, export, new OnnxBackendOptions { ExecutionProvider = "cuda", Threads = 1 }));
        Assert.Contains("CUDA execution provider cannot load", e.Message, StringComparison.Ordinal);
        Assert.Contains("-p:AdaDiffGpu=true", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_UnavailableWithFallback_RunsOnCpuAndSaysWhy()
    {
        OnnxExport export = OnnxExport.Read(fixture.Directory)!;
        using var backend = new OnnxBackend(fixture.Onnx.Manifest, export, new OnnxBackendOptions { ExecutionProvider = "cuda", FallBackToCpu = true, Threads = 1 });
        Assert.Equal("cpu", backend.ExecutionProvider);
        Assert.Contains("CUDA execution provider cannot load", backend.FallbackReason, StringComparison.Ordinal);
        Assert.Equal("onnxruntime", backend.Name);
    }

    [Fact]
    public void UnknownProvider_FailsNamingTheChoices()
    {
        OnnxExport export = OnnxExport.Read(fixture.Directory)!;
        var e = Assert.Throws<ArgumentException>(() => new OnnxBackend(fixture.Onnx.Manifest, export, new OnnxBackendOptions { ExecutionProvider = "tpu" }));
        Assert.Contains("'tpu' is not one of cpu, cuda", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Operator counts ("domain:op" × n) of a graph after the backend's default optimisation, Identity left out.</summary>
    private Dictionary<string, int> OptimizedOperators(byte[] graph, string name)
    {
        string path = Path.Combine(scratch, name + ".optimized.onnx");
        using (var options = new SessionOptions { GraphOptimizationLevel = new OnnxBackendOptions().OptimizationLevel, OptimizedModelFilePath = path, IntraOpNumThreads = 1 })
        using (new InferenceSession(graph, options))
        {
        }
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (global::Onnx.NodeProto node in global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Node)
        {
            if (node.OpType != "Identity")
            {
                string op = node.Domain.Length == 0 ? node.OpType : $"{node.Domain}:{node.OpType}";
                counts[op] = counts.GetValueOrDefault(op) + 1;
            }
        }
        return counts;
    }

    private static string Describe(Dictionary<string, int> counts) =>
        string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}×{c.Value}"));

    public void Dispose()
    {
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
