using System.Text.Json.Nodes;
using AdaDiff.Backends.Onnx;
using AdaDiff.Engine;
using AdaDiff.Packaging;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>The ONNX backend's own behaviour: export refusals, stale or altered exports, the CUDA provider.</summary>
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
    public void Load_StaleExport_FailsOrReexportsAsConfigured()
    {
        CopyPackage();
        string manifestPath = Path.Combine(scratch, "onnx", OnnxExportManifest.FileName);
        JsonNode json = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        json["weightsSha256"] = new string('0', 64);
        File.WriteAllText(manifestPath, json.ToJsonString());

        var e = Assert.Throws<InvalidDataException>(() => OnnxBackend.Load(scratch, new OnnxBackendOptions { Threads = 1, ReexportWhenStale = false }));
        Assert.Contains("the ONNX export is stale", e.Message, StringComparison.Ordinal);
        Assert.Contains("adadiff-tools export-onnx", e.Message, StringComparison.Ordinal);

        using OnnxBackend backend = OnnxBackend.Load(scratch, new OnnxBackendOptions { Threads = 1 });
        Assert.StartsWith("exported in memory", backend.ExportSource, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AlteredGraph_FailsNamingTheFile()
    {
        CopyPackage();
        string graph = Path.Combine(scratch, "onnx", "head.onnx");
        byte[] bytes = File.ReadAllBytes(graph);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(graph, bytes);
        var e = Assert.Throws<InvalidDataException>(() => OnnxBackend.Load(scratch, new OnnxBackendOptions { Threads = 1 }));
        Assert.Contains("head.onnx: SHA-256", e.Message, StringComparison.Ordinal);
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

    public void Dispose()
    {
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private void CopyPackage()
    {
        Directory.CreateDirectory(Path.Combine(scratch, "onnx"));
        foreach (string file in Directory.EnumerateFiles(fixture.Directory, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(scratch, Path.GetRelativePath(fixture.Directory, file)));
        }
    }
}
