using System.Text;

namespace AdaDiff.Benchmarks.Reporting;

/// <summary>What the figures depend on and where the session settings are measured.</summary>
internal static class NotesSection
{
    public static void Write(StringBuilder md, ReportContext context)
    {
        md.AppendLine("## Notes");
        md.AppendLine();
        md.AppendLine("- The server's default backend is ONNX Runtime (`AdaDiff:Backend`, per model `AdaDiff:Models:<name>:Backend`);");
        md.AppendLine("  TorchSharp remains selectable and is the one that trains.");
        md.AppendLine("- The adaptive depth depends on the weights (SHA-256 in the `.json`) and on the threshold, min layers and");
        md.AppendLine("  guidance above; they default to the package's model.json, the settings a client gets by leaving them at 0.");
        md.AppendLine("- ONNX Runtime's session settings (one global intra-op pool without spinning, one shared arena, shared weights)");
        md.AppendLine("  are measured side by side in `docs/experiments/ort-session-options.md`.");
    }
}
