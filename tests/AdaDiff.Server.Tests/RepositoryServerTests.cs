namespace AdaDiff.Server.Tests;

/// <summary>
/// Tests of a server (<see cref="ServerFixture"/>) on a model repository in a temporary folder that the test class
/// builds; disposing stops the server and deletes the folder. A test class of this kind has its own collection, like
/// <see cref="QueueTests"/>: collections run one after another, so its host never lives beside the shared
/// fixture's (both meters are named AdaDiff.Server).
/// </summary>
public abstract class RepositoryServerTests : IAsyncLifetime
{
    /// <param name="repository">The temporary folder the server serves (and disposing deletes).</param>
    protected RepositoryServerTests(string repository)
    {
        Repository = repository;
        Server = new ServerFixture(new Dictionary<string, string?> { ["AdaDiff:ModelRepository"] = repository });
    }

    /// <summary>The temporary model repository.</summary>
    protected string Repository { get; }

    protected ServerFixture Server { get; }

    public Task InitializeAsync() => Server.InitializeAsync();

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Repository, recursive: true);
    }

    /// <summary>Copies the test repository's package <paramref name="model"/> into <paramref name="repository"/>; returns the copy's folder.</summary>
    protected static string CopyPackage(string repository, string model)
    {
        string source = Path.Combine(TestPaths.ModelRepository, model);
        string package = Directory.CreateDirectory(Path.Combine(repository, model)).FullName;
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(package, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return package;
    }
}
