using System.CommandLine;
using System.Diagnostics;
using AdaDiff.Backends.Onnx;
using AdaDiff.Packaging;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Tools;

/// <summary>
/// <c>export-onnx</c>: writes a model package's stages (embed, each layer, each UEM, the shared head) as
/// ONNX graphs (opset 17) into its <c>onnx/</c> folder, with <c>onnx/manifest.json</c> recording the SHA-256
/// of the weights they came from and of each graph, after opening every graph in ONNX Runtime to check it.
/// The folder is the cache the ONNX backend reads (and writes itself after exporting in memory at load): built
/// ahead where a package will be served read-only, never committed. Written atomically (<see cref="OnnxExport.Write"/>).
/// </summary>
internal static class ExportOnnxCommand
{
    /// <param name="commandText">The command line as run, for the export's manifest.</param>
    public static Command Create(string commandText)
    {
        var package = ToolsCommandLine.RequiredText("--package", "Model package folder whose weights are exported into its onnx/ folder", "DIR");
        var command = new Command("export-onnx", "Export a package's stages as ONNX graphs and check that ONNX Runtime opens them") { package };
        command.SetAction(parse => Run(parse.GetRequiredValue(package), commandText));
        return command;
    }

    private static int Run(string packageDir, string commandText)
    {
        long start = Stopwatch.GetTimestamp();
        PackageWeights weights = PackageWeights.Read(packageDir);
        OnnxExport export = OnnxExport.Create(weights.Manifest, weights.Bytes, weights.Path, commandText);
        using (new OnnxBackend(weights.Manifest, export, new OnnxBackendOptions { Threads = 1, FusedStages = false }))
        {
            // Every session of the graphs written opened: they are valid ONNX that ONNX Runtime can run. (The fused
            // graphs are built at load from the weights and never written, so they are not opened here.)
        }
        export.Write(packageDir);
        long bytes = 0;
        foreach (byte[] graph in export.Graphs.Values)
        {
            bytes += graph.Length;
        }
        string dir = Path.Combine(packageDir, OnnxExport.FolderName);
        Console.WriteLine($"wrote {export.Graphs.Count} graphs (opset {OnnxExport.Opset}, {bytes / 1e6:F1} MB) and {OnnxExportManifest.FileName} to {dir} " +
            $"from {weights.Path} (sha256 {weights.Sha256}) in {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s");
        return 0;
    }
}
