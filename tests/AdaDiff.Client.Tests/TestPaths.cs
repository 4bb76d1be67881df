namespace AdaDiff.Client.Tests;

/// <summary>Paths of the source tree, found upwards from the test's output folder.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The built server of the same configuration as the tests.</summary>
    public static string ServerDll
    {
        get
        {
            string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            string bin = Path.Combine(RepositoryRoot, "server", "AdaDiff.Server", "bin", configuration);
            string? dll = Directory.Exists(bin) ? Directory.GetFiles(bin, "AdaDiff.Server.dll", SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault() : null;
            return dll ?? throw new FileNotFoundException($"AdaDiff.Server.dll not found under {bin}; build the server first.");
        }
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
