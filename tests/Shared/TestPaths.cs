namespace AdaDiff.Tests.Shared;

/// <summary>
/// Paths of the source tree, found upwards from the test's output folder. The one copy for every test project that
/// needs them (linked in as Shared/TestPaths.cs); <c>Manifest</c> is in TestPaths.Manifest.cs, linked only into
/// projects that reference AdaDiff.Engine.
/// </summary>
internal static partial class TestPaths
{
    /// <summary>The repository root (the folder holding AdaDiff.Grpc.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The model repository the server serves by default.</summary>
    public static string ModelRepository => Path.Combine(RepositoryRoot, "models");

    /// <summary>The built server: server/AdaDiff.Server/bin/&lt;same configuration as the tests&gt;/…/AdaDiff.Server.dll, newest first.</summary>
    public static string ServerDll => BuiltDll(Path.Combine("server", "AdaDiff.Server"), "AdaDiff.Server.dll");

    /// <summary>The built model tooling: tools/AdaDiff.Tools/bin/&lt;same configuration&gt;/…/adadiff-tools.dll, newest first.</summary>
    public static string ToolsDll => BuiltDll(Path.Combine("tools", "AdaDiff.Tools"), "adadiff-tools.dll");

    private static string BuiltDll(string project, string dllName)
    {
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        string bin = Path.Combine(RepositoryRoot, project, "bin", configuration);
        string? dll = Directory.Exists(bin)
            ? Directory.GetFiles(bin, dllName, SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            : null;
        return dll ?? throw new FileNotFoundException($"{dllName} not found under {bin}; build {project} first.");
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AdaDiff.Grpc.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No AdaDiff.Grpc.sln above {AppContext.BaseDirectory}");
    }
}
