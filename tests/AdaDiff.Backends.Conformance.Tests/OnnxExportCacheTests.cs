using System.Text.Json.Nodes;
using AdaDiff.Backends.Onnx;
using AdaDiff.Engine;
using AdaDiff.Packaging;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>
/// The package's <c>onnx/</c> folder as a cache of what the weights determine (exports are not committed): built and
/// written at load when missing, read when it verifies, and rejected (never run) and rebuilt when it is stale or
/// altered. Each test works on its own copy of the fixture's package.
/// </summary>
[Collection(BackendsCollection.Name)]
public sealed class OnnxExportCacheTests(BackendsFixture fixture) : IDisposable
{
    private static readonly OnnxBackendOptions Defaults = new() { Threads = 1 };

    private readonly string scratch = Path.Combine(Path.GetTempPath(), "adadiff-onnx-cache-" + Guid.NewGuid().ToString("N"));

    private string Folder => Path.Combine(scratch, OnnxExport.FolderName);

    [Fact]
    public void Load_NoExport_ExportsInMemoryAndCachesItWhole()
    {
        CopyPackage(withExport: false);

        using (OnnxBackend backend = OnnxBackend.Load(scratch, Defaults))
        {
            Assert.StartsWith("exported in memory", backend.ExportSource, StringComparison.Ordinal);
            Assert.Contains($"{OnnxExportManifest.FileName} not found", backend.ExportSource, StringComparison.Ordinal);
            Assert.EndsWith($"cached in {Folder}", backend.ExportSource, StringComparison.Ordinal);
        }
        // Exactly the graphs the manifest names and the manifest, of these weights; no staging folder left beside it.
        OnnxExport cached = OnnxExport.Read(scratch, PackageWeights.Read(scratch))!;
        Assert.Equal(OnnxExport.StageNames(fixture.Onnx.Manifest.Depth), cached.Manifest.Stages.Select(s => s.Name));
        Assert.Equal(
            cached.Manifest.Stages.Select(s => s.File).Append(OnnxExportManifest.FileName).Order(StringComparer.Ordinal),
            Directory.GetFiles(Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([OnnxExport.FolderName], Directory.GetDirectories(scratch).Select(Path.GetFileName));
    }

    [Fact]
    public void Load_CachedExport_ReadsItAndRunsTheSameBytes()
    {
        CopyPackage(withExport: false);
        OnnxBackend.Load(scratch, Defaults).Dispose(); // exports and caches
        DateTime written = File.GetLastWriteTimeUtc(Path.Combine(Folder, OnnxExportManifest.FileName));

        using OnnxBackend backend = OnnxBackend.Load(scratch, Defaults);
        Assert.StartsWith($"read from {Folder}", backend.ExportSource, StringComparison.Ordinal);
        Assert.Contains("every graph matched its SHA-256", backend.ExportSource, StringComparison.Ordinal);
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(Folder, OnnxExportManifest.FileName))); // not rewritten
        Assert.True(backend.FusedStages, "an export read from the cache still gets the fused stages built from the weights");

        // The cached graphs are the fixture's: every depth gives the fixture's bytes.
        ModelManifest m = backend.Manifest;
        const int rows = 3;
        float[] x = Inputs.Latents(m, rows, seed: 7);
        float[] t = Inputs.Timesteps(m, rows);
        int[] y = Inputs.Labels(m, rows);
        var expected = new float[rows * m.ImageSize];
        var actual = new float[rows * m.ImageSize];
        fixture.Onnx.PredictAtDepth(x, t, y, m.Depth, expected);
        backend.PredictAtDepth(x, t, y, m.Depth, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Load_WeightsReplacedAfterCaching_ReexportsAndCachesTheNewWeights()
    {
        CopyPackage(withExport: false);
        OnnxBackend.Load(scratch, Defaults).Dispose();
        string oldSha = PackageWeights.Read(scratch).Sha256;
        ReplaceWeights(); // as a trainer does: new weights, model.json with their hash

        string newSha = PackageWeights.Read(scratch).Sha256;
        Assert.NotEqual(oldSha, newSha);
        using (OnnxBackend backend = OnnxBackend.Load(scratch, Defaults))
        {
            Assert.StartsWith("exported in memory", backend.ExportSource, StringComparison.Ordinal);
            Assert.Contains($"stale, exported from weights {oldSha[..12]}… but", backend.ExportSource, StringComparison.Ordinal);
            Assert.Contains($"is {newSha[..12]}…", backend.ExportSource, StringComparison.Ordinal);
            Assert.EndsWith($"cached in {Folder}", backend.ExportSource, StringComparison.Ordinal);
        }
        Assert.Equal(newSha, OnnxExport.Read(scratch)!.Manifest.WeightsSha256);
        using OnnxBackend again = OnnxBackend.Load(scratch, Defaults);
        Assert.StartsWith("read from", again.ExportSource, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_StaleExportWithoutReexport_FailsNamingTheCommand()
    {
        CopyPackage(withExport: true);
        string manifestPath = Path.Combine(Folder, OnnxExportManifest.FileName);
        JsonNode json = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        json["weightsSha256"] = new string('0', 64);
        File.WriteAllText(manifestPath, json.ToJsonString());

        var e = Assert.Throws<InvalidDataException>(() => OnnxBackend.Load(scratch, new OnnxBackendOptions { Threads = 1, ReexportWhenStale = false }));
        Assert.Contains($"{manifestPath}: stale, exported from weights 000000000000…", e.Message, StringComparison.Ordinal);
        Assert.Contains("the ONNX export cannot be used", e.Message, StringComparison.Ordinal);
        Assert.Contains($"adadiff-tools export-onnx --package {scratch}", e.Message, StringComparison.Ordinal);
        Assert.Equal(new string('0', 64), OnnxExport.Read(scratch)!.Manifest.WeightsSha256); // left as it was
    }

    [Fact]
    public void Load_GraphByteFlipped_RejectsItAndReexports()
    {
        CopyPackage(withExport: true);
        string graph = Path.Combine(Folder, "layer_07.onnx");
        byte[] good = File.ReadAllBytes(graph);
        byte[] bad = (byte[])good.Clone();
        bad[bad.Length / 2] ^= 0x01;
        File.WriteAllBytes(graph, bad);

        var e = Assert.Throws<InvalidDataException>(() => OnnxBackend.Load(scratch, new OnnxBackendOptions { Threads = 1, ReexportWhenStale = false }));
        Assert.Contains($"{graph}: SHA-256", e.Message, StringComparison.Ordinal);
        Assert.Contains("does not match", e.Message, StringComparison.Ordinal);

        using (OnnxBackend backend = OnnxBackend.Load(scratch, Defaults))
        {
            Assert.StartsWith("exported in memory", backend.ExportSource, StringComparison.Ordinal);
            Assert.Contains($"rejected: {graph}: SHA-256 {ModelPackage.Sha256(bad)} does not match", backend.ExportSource, StringComparison.Ordinal);
            Assert.EndsWith($"cached in {Folder}", backend.ExportSource, StringComparison.Ordinal);
        }
        Assert.Equal(good, File.ReadAllBytes(graph)); // the export is deterministic: the cache holds the original graph again
    }

    [Theory]
    [InlineData("stage dropped")]
    [InlineData("stage renamed")]
    [InlineData("file outside the folder")]
    [InlineData("not JSON")]
    public void Load_ManifestTampered_RejectsItAndReexports(string tampering)
    {
        CopyPackage(withExport: true);
        string manifestPath = Path.Combine(Folder, OnnxExportManifest.FileName);
        JsonNode json = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        JsonArray stages = json["stages"]!.AsArray();
        int depth = fixture.Onnx.Manifest.Depth;
        string stagesOfTheModel = $"not the {(2 * depth) + 2} stages of a {depth}-layer model";
        string expected;
        switch (tampering)
        {
            case "stage dropped": // every remaining graph still matches its hash
                stages.RemoveAt(stages.Count - 1);
                expected = stagesOfTheModel;
                break;
            case "stage renamed":
                stages[0]!["name"] = "embedding";
                expected = stagesOfTheModel;
                break;
            case "file outside the folder":
                stages[0]!["file"] = "../model.json";
                stages[0]!["sha256"] = ModelPackage.Sha256(File.ReadAllBytes(Path.Combine(scratch, ModelPackage.ManifestFileName)));
                expected = "needs a name, a file name inside the folder and a SHA-256";
                break;
            default:
                expected = "not a valid ONNX export manifest";
                break;
        }
        File.WriteAllText(manifestPath, tampering == "not JSON" ? "{ not an export manifest" : json.ToJsonString());

        using (OnnxBackend backend = OnnxBackend.Load(scratch, Defaults))
        {
            Assert.StartsWith("exported in memory", backend.ExportSource, StringComparison.Ordinal);
            Assert.Contains($"rejected: {manifestPath}", backend.ExportSource, StringComparison.Ordinal);
            Assert.Contains(expected, backend.ExportSource, StringComparison.Ordinal);
            Assert.EndsWith($"cached in {Folder}", backend.ExportSource, StringComparison.Ordinal);
        }
        using OnnxBackend again = OnnxBackend.Load(scratch, Defaults);
        Assert.StartsWith("read from", again.ExportSource, StringComparison.Ordinal);
    }

    /// <summary>
    /// A model repository the server cannot write (a read-only volume, a folder owned by another user). Made here by a
    /// file where the folder would be renamed to, which no user can replace with a folder (root included, for whom
    /// permission bits would not stop the write).
    /// </summary>
    [Fact]
    public void Load_ExportCannotBeWritten_RunsFromMemoryAndSaysWhy()
    {
        CopyPackage(withExport: false);
        File.WriteAllText(Folder, "not a folder");

        using OnnxBackend backend = OnnxBackend.Load(scratch, Defaults);
        Assert.StartsWith("exported in memory", backend.ExportSource, StringComparison.Ordinal);
        Assert.Contains($"not cached, {Folder} cannot be written: ", backend.ExportSource, StringComparison.Ordinal);
        RunsOneStep(backend);
        Assert.Equal("not a folder", File.ReadAllText(Folder));
        Assert.Empty(Directory.GetDirectories(scratch)); // the staging folder removed
    }

    [Fact]
    public void Load_CacheOff_WritesNothing()
    {
        CopyPackage(withExport: false);

        using OnnxBackend backend = OnnxBackend.Load(scratch, new OnnxBackendOptions { Threads = 1, CacheExport = false });
        Assert.EndsWith("; not cached (CacheExport is off)", backend.ExportSource, StringComparison.Ordinal);
        RunsOneStep(backend);
        Assert.Empty(Directory.GetDirectories(scratch));
    }

    /// <summary>
    /// Servers starting at once on one repository: each exports and renames a whole folder into place, so each loads,
    /// and whichever rename came last leaves an export that the next start reads.
    /// </summary>
    [Fact]
    public async Task Load_TwoAtOnceWithoutExport_BothLoadAndLeaveOneWholeExport()
    {
        CopyPackage(withExport: false);
        using var start = new Barrier(2);
        OnnxBackend LoadAfterBarrier()
        {
            start.SignalAndWait();
            return OnnxBackend.Load(scratch, Defaults);
        }

        OnnxBackend[] both = await Task.WhenAll(Task.Run(LoadAfterBarrier), Task.Run(LoadAfterBarrier));
        try
        {
            Assert.All(both, b => Assert.StartsWith("exported in memory", b.ExportSource, StringComparison.Ordinal));
            Assert.All(both, b => Assert.EndsWith($"cached in {Folder}", b.ExportSource, StringComparison.Ordinal));
        }
        finally
        {
            foreach (OnnxBackend b in both)
            {
                b.Dispose();
            }
        }
        Assert.Equal([OnnxExport.FolderName], Directory.GetDirectories(scratch).Select(Path.GetFileName));
        using OnnxBackend next = OnnxBackend.Load(scratch, Defaults);
        Assert.StartsWith("read from", next.ExportSource, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_OverAnExport_ReplacesTheWholeFolder()
    {
        CopyPackage(withExport: true);
        string leftover = Path.Combine(Folder, "layer_99.onnx"); // a graph of an older, deeper export
        File.WriteAllBytes(leftover, [1, 2, 3]);
        PackageWeights weights = PackageWeights.Read(scratch);

        OnnxExport.Create(weights.Manifest, weights.Bytes, weights.Path, "test").Write(scratch);

        Assert.False(File.Exists(leftover));
        Assert.Equal("test", OnnxExport.Read(scratch, weights)!.Manifest.Command);
        Assert.Equal([OnnxExport.FolderName], Directory.GetDirectories(scratch).Select(Path.GetFileName));
    }

    public void Dispose()
    {
        if (File.Exists(Folder))
        {
            File.Delete(Folder);
        }
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static void RunsOneStep(OnnxBackend backend)
    {
        ModelManifest m = backend.Manifest;
        var output = new float[m.ImageSize];
        backend.PredictAtDepth(Inputs.Latents(m, 1, seed: 1), Inputs.Timesteps(m, 1), Inputs.Labels(m, 1), m.Depth, output);
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>model.json and the weights of the fixture's package, and its <c>onnx/</c> when asked for.</summary>
    private void CopyPackage(bool withExport)
    {
        Directory.CreateDirectory(scratch);
        PackageWeights weights = PackageWeights.Read(fixture.Directory);
        File.Copy(Path.Combine(fixture.Directory, ModelPackage.ManifestFileName), Path.Combine(scratch, ModelPackage.ManifestFileName));
        File.WriteAllBytes(Path.Combine(scratch, weights.Manifest.Weights.File), weights.Bytes);
        if (withExport)
        {
            Directory.CreateDirectory(Folder);
            foreach (string file in Directory.GetFiles(Path.Combine(fixture.Directory, OnnxExport.FolderName)))
            {
                File.Copy(file, Path.Combine(Folder, Path.GetFileName(file)));
            }
        }
    }

    /// <summary>New weights (one value of one tensor changed) and model.json with their hash, as a trainer writes them.</summary>
    private void ReplaceWeights()
    {
        PackageWeights weights = PackageWeights.Read(scratch);
        SafetensorsFile file = SafetensorsFile.Parse(weights.Bytes, weights.Path);
        var tensors = new List<SafetensorsTensor>(file.Tensors);
        int index = tensors.FindIndex(t => t.DType == SafetensorsDType.F32);
        float[] values = tensors[index].ToSingles();
        values[0] += 0.01f;
        tensors[index] = SafetensorsTensor.FromSingles(tensors[index].Name, tensors[index].Shape, values);
        ModelPackage.Write(scratch, weights.Manifest, new SafetensorsFile(tensors, file.Metadata));
    }
}
