using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AdaDiff.Client.Tests;

/// <summary>
/// Runs the README's client examples (command line, C# library, Python, Node) as written against the real server:
/// each fenced block is taken from README.md by its section heading, only the server address is changed (the
/// command line reads it from ADADIFF_SERVER; the C# file's <c>#:project</c> path is made absolute because the file
/// is not saved in the repository itself; npm ci is taken as done), and each runs in a fresh folder that stands for the repository root
/// (symbolic links to every top-level entry but <c>out/</c>), so what it writes lands there and is checked.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ReadmeExampleTests(ServerFixture fixture) : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);
    private readonly string _root = MirrorRepositoryRoot();

    private string GrpcHostPort => $"127.0.0.1:{fixture.Server.GrpcPort}";

    [Fact]
    public async Task CommandLineExample_BuildsThenWritesImagesOfBothRuns()
    {
        IReadOnlyList<string> bash = ReadmeBlocks("Command line", "bash");
        Assert.Equal(2, bash.Count);
        Assert.Contains("dotnet build", bash[0], StringComparison.Ordinal);
        // The address comes from ADADIFF_SERVER, the one thing changed: no command may name another.
        Assert.DoesNotContain(bash[1].Split('\n'), l => l.StartsWith("$adadiff", StringComparison.Ordinal) && l.Contains("--server", StringComparison.Ordinal));

        // The build step runs in the repository itself: building through the linked folder would restore and
        // compile the projects under other paths. On a tree built by scripts/test.sh it is a no-op.
        await RunAsync(TestPaths.RepositoryRoot, "bash", "-ec", bash[0]);
        string output = await RunAsync(_root, "bash", "-ec", bash[1]);

        foreach (string folder in new[] { "out", "out-full" })
        {
            for (int k = 0; k < 4; k++)
            {
                AssertPng28(Path.Combine(folder, $"image-{k}-seed{7 + k}.png"));
            }
            Assert.True(File.Exists(Path.Combine(_root, folder, "stats.json")), $"{folder}/stats.json missing:\n{output}");
            Assert.True(File.Exists(Path.Combine(_root, folder, "strip.png")), $"{folder}/strip.png missing:\n{output}");
        }
        Assert.Contains("\"event\":\"step\"", output.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal); // the --json | head -3 line
    }

    [Fact]
    public async Task CSharpLibraryExample_RunsAsFileBasedApp_WritesTwoImages()
    {
        string command = Assert.Single(ReadmeBlocks("C# library", "bash"));
        string code = WithAddress(Assert.Single(ReadmeBlocks("C# library", "csharp")));
        const string Directive = "#:project clients/";
        Assert.StartsWith(Directive, code, StringComparison.Ordinal);
        code = $"#:project {TestPaths.RepositoryRoot}/clients/{code[Directive.Length..]}";
        await File.WriteAllTextAsync(Path.Combine(_root, "generate.cs"), code);

        string output = await RunAsync(_root, "bash", "-ec", command);

        Assert.Contains("step 20:", output, StringComparison.Ordinal);
        AssertPng28("image-0.png");
        AssertPng28("image-1.png");
    }

    [Fact]
    public async Task PythonExamples_ScriptAndSnippet_WriteTwoImagesEach()
    {
        string command = WithAddress(Assert.Single(ReadmeBlocks("Python", "bash")));
        string code = WithAddress(Assert.Single(ReadmeBlocks("Python", "python")));
        await File.WriteAllTextAsync(Path.Combine(_root, "generate.py"), code);

        await RunAsync(_root, "bash", "-ec", command);
        await RunAsync(_root, "/usr/bin/python3", "generate.py");

        AssertPng28("out/python/image-0-seed42.png");
        AssertPng28("out/python/image-1-seed43.png");
        AssertPng28("image-0.png");
        AssertPng28("image-1.png");
    }

    [Fact]
    public async Task NodeExamples_ScriptAndSnippet_WriteTwoImagesEach()
    {
        IReadOnlyList<string> bash = ReadmeBlocks("Node", "bash");
        Assert.Equal(2, bash.Count);
        // The setup step (npm ci) needs the registry and replaces node_modules: scripts/setup.sh runs it; here its
        // result must be there.
        Assert.Contains("npm ci", bash[0], StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(TestPaths.RepositoryRoot, "clients", "node", "node_modules", "@grpc", "grpc-js")),
            "clients/node/node_modules is missing: run the README's setup step (cd clients/node && npm ci)");
        string code = WithAddress(Assert.Single(ReadmeBlocks("Node", "js")));
        await File.WriteAllTextAsync(Path.Combine(_root, "generate.js"), code);

        await RunAsync(_root, "bash", "-ec", WithAddress(bash[1]));
        await RunAsync(_root, "node", "generate.js");

        AssertPng28("out/node/image-0-seed42.png");
        AssertPng28("out/node/image-1-seed43.png");
        AssertPng28("image-0.png");
        AssertPng28("image-1.png");
    }

    /// <summary>The README's gRPC address replaced by the test server's; every example must name it.</summary>
    private string WithAddress(string block)
    {
        Assert.Contains("127.0.0.1:50051", block, StringComparison.Ordinal);
        return block.Replace("127.0.0.1:50051", GrpcHostPort, StringComparison.Ordinal);
    }

    private void AssertPng28(string relativePath)
    {
        string path = Path.Combine(_root, relativePath);
        Assert.True(File.Exists(path), $"{relativePath} was not written; the folder holds: {string.Join(", ", Directory.GetFileSystemEntries(_root, "*", SearchOption.AllDirectories).Where(e => !IsLink(e)).Select(e => Path.GetRelativePath(_root, e)))}");
        using Image<L8> image = Image.Load<L8>(path); // decodes every pixel, not only the header
        Assert.Equal((28, 28), (image.Width, image.Height));
    }

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    /// <summary>Runs a command with the test server's address in ADADIFF_SERVER; fails with its output unless it exits 0.</summary>
    private async Task<string> RunAsync(string workingDirectory, string fileName, params string[] args)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["ADADIFF_SERVER"] = fixture.Server.GrpcAddress;
        start.Environment["CI"] = "true"; // plain output from the command line, never the live view
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Limit);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        string output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', args)} exited {process.ExitCode}:\n{output}");
        return output;
    }

    /// <summary>The fenced blocks of one language in the README section whose "### " heading starts with <paramref name="heading"/>.</summary>
    internal static IReadOnlyList<string> ReadmeBlocks(string heading, string language)
    {
        string[] lines = File.ReadAllLines(Path.Combine(TestPaths.RepositoryRoot, "README.md"));
        int start = Array.FindIndex(lines, l => l.StartsWith($"### {heading}", StringComparison.Ordinal));
        Assert.True(start >= 0, $"README.md has no section '### {heading}'");
        var blocks = new List<string>();
        for (int i = start + 1; i < lines.Length && !lines[i].StartsWith("## ", StringComparison.Ordinal) && !lines[i].StartsWith("### ", StringComparison.Ordinal); i++)
        {
            if (!lines[i].StartsWith("```", StringComparison.Ordinal))
            {
                continue;
            }
            string info = lines[i][3..].Trim();
            int end = Array.FindIndex(lines, i + 1, l => l.StartsWith("```", StringComparison.Ordinal));
            Assert.True(end > i, $"unclosed code block in README section '{heading}'");
            if (info == language)
            {
                blocks.Add(string.Join('\n', lines[(i + 1)..end]) + "\n");
            }
            i = end;
        }
        return blocks;
    }

    /// <summary>A fresh folder standing for the repository root: links to its top-level entries, without out/.</summary>
    private static string MirrorRepositoryRoot()
    {
        string root = Directory.CreateTempSubdirectory("adadiff-readme-").FullName;
        foreach (string entry in Directory.GetFileSystemEntries(TestPaths.RepositoryRoot))
        {
            string name = Path.GetFileName(entry);
            if (name is "out" or "TestResults" || name.StartsWith('.'))
            {
                continue;
            }
            string link = Path.Combine(root, name);
            if (Directory.Exists(entry))
            {
                Directory.CreateSymbolicLink(link, entry);
            }
            else
            {
                File.CreateSymbolicLink(link, entry);
            }
        }
        return root;
    }

    public void Dispose()
    {
        // Delete the links themselves, never what they point to.
        foreach (string entry in Directory.GetFileSystemEntries(_root))
        {
            if (IsLink(entry))
            {
                File.Delete(entry);
            }
        }
        Directory.Delete(_root, recursive: true);
    }
}
