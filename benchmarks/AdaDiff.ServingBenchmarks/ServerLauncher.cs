using System.Text.Json;
using AdaDiff.Benchmarks.Shared;

namespace AdaDiff.ServingBenchmarks;

/// <summary>The benchmark's servers: one <see cref="LoopbackServer"/> a backend, and the limits they run with by default.</summary>
internal static class ServerLauncher
{
    /// <summary>
    /// Starts the server with <paramref name="backend"/>. <paramref name="flags"/> are its <c>--AdaDiff:…</c> settings
    /// besides address, ports and backend.
    /// </summary>
    public static LoopbackServer Start(string dll, string backend, IEnumerable<string> flags) =>
        LoopbackServer.Start(dll, $"the {backend} server", [$"--AdaDiff:Backend={backend}", .. flags]);

    /// <summary>
    /// The scheduler limits in the built server's appsettings.json (section AdaDiff): what the server runs with unless
    /// told otherwise. Missing keys, or a missing file, give null.
    /// </summary>
    public static (int? MaxActiveJobs, int? MaxBatchRows, int? MaxQueuedJobs) ReadLimits(string dll)
    {
        string settings = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dll))!, "appsettings.json");
        if (!File.Exists(settings))
        {
            return (null, null, null);
        }
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(settings), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (!doc.RootElement.TryGetProperty("AdaDiff", out JsonElement section))
        {
            return (null, null, null);
        }
        int? Read(string name) => section.TryGetProperty(name, out JsonElement v) && v.TryGetInt32(out int i) ? i : null;
        return (Read("MaxActiveJobs"), Read("MaxBatchRows"), Read("MaxQueuedJobs"));
    }
}
