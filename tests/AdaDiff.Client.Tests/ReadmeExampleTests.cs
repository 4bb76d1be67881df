using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace AdaDiff.Client.Tests;

/// <summary>
/// The README's credentials setup run as written in a folder standing for the repository root (its openssl and
/// token commands; then the server started with the flags of its <c>scripts/serve.sh</c> line, the built server
/// rather than a build and a foreground process), for the credentials examples of every client to call.
/// </summary>
public sealed class ReadmeCredentialsFixture : IAsyncLifetime
{
    private const string Serve = "scripts/serve.sh ";
    private ServerProcess? server;

    /// <summary>Where the setup wrote server.crt, server.key and token; the C# examples run here too (one build folder).</summary>
    public string Root { get; } = ReadmeExampleTests.MirrorRepositoryRoot();

    internal ServerProcess Server => server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        string setup = ReadmeExampleTests.ReadmeBlocks("Command line", "bash")[2];
        string[] lines = setup.TrimEnd().Split('\n');
        Assert.StartsWith(Serve, lines[^1], StringComparison.Ordinal);
        await ReadmeExampleTests.RunProcessAsync(Root, null, "bash", "-ec", string.Join('\n', lines[..^1]));

        // The flags name files relative to the repository root, where serve.sh runs the server: here, Root.
        string[] flags = [.. lines[^1][Serve.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(flag =>
        {
            int eq = flag.IndexOf('=', StringComparison.Ordinal);
            string value = flag[(eq + 1)..];
            return flag.EndsWith("File=" + value, StringComparison.Ordinal) ? $"{flag[..(eq + 1)]}{Path.Combine(Root, value)}" : flag;
        })];
        string certificate = flags.Single(f => f.StartsWith("--AdaDiff:Tls:CertificateFile=", StringComparison.Ordinal)).Split('=', 2)[1];
        server = ServerProcess.Start(flags);
        using X509Certificate2 trusted = X509CertificateLoader.LoadCertificateFromFile(certificate); // the self-signed certificate trusts itself
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented is not null && presented.RawDataMemory.Span.SequenceEqual(trusted.RawDataMemory.Span),
        };
        using var https = new HttpClient(handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(10) };
        await server.WaitReadyAsync(https, https: true);
    }

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
        ReadmeExampleTests.DeleteMirror(Root);
    }
}

/// <summary>
/// Runs the README's client examples (command line, C# library, Python, Node) as written against the real server:
/// each fenced block is taken from README.md by its section heading, only the server address is changed (the
/// command line reads it from ADADIFF_SERVER; the C# file's <c>#:project</c> path is made absolute because the file
/// is not saved in the repository itself; npm ci is taken as done), and each runs in a fresh folder that stands for the repository root
/// (symbolic links to every top-level entry but <c>out/</c>), so what it writes lands there and is checked. The
/// credentials examples run in the folder of <see cref="ReadmeCredentialsFixture"/>, against the server its setup
/// started; so do both C# examples, which then share one build folder of the file-based app.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ReadmeExampleTests(ServerFixture fixture, ReadmeCredentialsFixture credentials) : IDisposable, IClassFixture<ReadmeCredentialsFixture>
{
    private const string TextModel = "fashion-mnist-text-uvit";
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);
    private readonly string root = MirrorRepositoryRoot();

    private string GrpcHostPort => $"127.0.0.1:{fixture.Server.GrpcPort}";

    [Fact]
    public async Task CommandLineExample_BuildsThenWritesImagesOfBothRuns()
    {
        IReadOnlyList<string> bash = ReadmeBlocks("Command line", "bash");
        Assert.Equal(4, bash.Count); // build, examples; the credentials setup and examples
        Assert.Contains("dotnet build", bash[0], StringComparison.Ordinal);
        // The address comes from ADADIFF_SERVER, the one thing changed: no command may name another.
        Assert.DoesNotContain(bash[1].Split('\n'), l => l.StartsWith("$adadiff", StringComparison.Ordinal) && l.Contains("--server", StringComparison.Ordinal));

        // The build step runs in the repository itself: building through the linked folder would restore and
        // compile the projects under other paths. On a tree built by scripts/test.sh it is a no-op.
        await RunAsync(TestPaths.RepositoryRoot, "bash", "-ec", bash[0]);
        string output = await RunAsync(root, "bash", "-ec", bash[1]);

        foreach (string folder in new[] { "out", "out-full" })
        {
            for (int k = 0; k < 4; k++)
            {
                AssertPng28(Path.Combine(folder, $"image-{k}-seed{7 + k}.png"));
            }
            Assert.True(File.Exists(Path.Combine(root, folder, "stats.json")), $"{folder}/stats.json missing:\n{output}");
            Assert.True(File.Exists(Path.Combine(root, folder, "strip.png")), $"{folder}/strip.png missing:\n{output}");
        }
        Assert.Contains("\"event\":\"step\"", output.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal); // the --json | head -3 line
    }

    [Fact]
    public async Task CommandLineCredentialsExample_TokenFileAndAdadiffToken_OverTls()
    {
        string block = WithAddress(ReadmeBlocks("Command line", "bash")[3], credentials.Server);
        Assert.Contains("--token-file token", block, StringComparison.Ordinal);
        Assert.Contains("ADADIFF_TOKEN=", block, StringComparison.Ordinal);

        string output = await RunAsync(credentials.Root, "bash", "-ec", block);

        Assert.Contains("fashion-mnist-uvit (default)", output, StringComparison.Ordinal);
        AssertPng28(Path.Combine(credentials.Root, "out-tls", "image-0-seed5.png"));
        AssertPng28(Path.Combine(credentials.Root, "out-tls", "image-1-seed6.png"));
    }

    [Fact]
    public async Task CSharpLibraryExample_RunsAsFileBasedApp_WritesTwoImages()
    {
        string command = Assert.Single(ReadmeBlocks("C# library", "bash"));
        string code = CSharpExample(WithAddress(ReadmeBlocks("C# library", "csharp")[0]));

        string output = await RunCSharpAsync(command, code);

        Assert.Contains("step 20:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CSharpCredentialsExample_InTheExampleInsteadOfItsClient_WritesTwoImagesOverTls()
    {
        string command = Assert.Single(ReadmeBlocks("C# library", "bash"));
        IReadOnlyList<string> blocks = ReadmeBlocks("C# library", "csharp");
        Assert.Equal(2, blocks.Count);
        string[] example = blocks[0].Split('\n');
        int clientLine = Array.FindIndex(example, l => l.StartsWith("using var client = new AdaDiffClient(", StringComparison.Ordinal));
        Assert.True(clientLine > 0, "the C# example creates no client");
        string credentialsClient = WithAddress(blocks[1], credentials.Server);
        string code = CSharpExample(string.Join('\n', [.. example[..clientLine], credentialsClient.TrimEnd(), .. example[(clientLine + 1)..]]));

        string output = await RunCSharpAsync(command, code);

        Assert.Contains("step 20:", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs a C# example as generate.cs in the credentials folder, where every C# example runs so the second build of
    /// the file-based app is incremental; checks the two images it writes there.
    /// </summary>
    private async Task<string> RunCSharpAsync(string command, string code)
    {
        foreach (string png in new[] { "image-0.png", "image-1.png" })
        {
            File.Delete(Path.Combine(credentials.Root, png));
        }
        await File.WriteAllTextAsync(Path.Combine(credentials.Root, "generate.cs"), code);
        string output = await RunAsync(credentials.Root, "bash", "-ec", command);
        AssertPng28(Path.Combine(credentials.Root, "image-0.png"));
        AssertPng28(Path.Combine(credentials.Root, "image-1.png"));
        return output;
    }

    /// <summary>The README's C# file with its <c>#:project</c> path made absolute (the file is not saved in the repository).</summary>
    private static string CSharpExample(string code)
    {
        const string Directive = "#:project clients/";
        Assert.StartsWith(Directive, code, StringComparison.Ordinal);
        return $"#:project {TestPaths.RepositoryRoot}/clients/{code[Directive.Length..]}";
    }

    [Fact]
    public async Task PythonExamples_ScriptAndSnippet_WriteTwoImagesEach()
    {
        string command = WithAddress(Assert.Single(ReadmeBlocks("Python", "bash")));
        string code = WithAddress(ReadmeBlocks("Python", "python")[0]);
        await File.WriteAllTextAsync(Path.Combine(root, "generate.py"), code);

        await RunAsync(root, "bash", "-ec", command);
        await RunAsync(root, "/usr/bin/python3", "generate.py");

        AssertPng28("out/python/image-0-seed42.png");
        AssertPng28("out/python/image-1-seed43.png");
        AssertPng28("image-0.png");
        AssertPng28("image-1.png");
    }

    [Fact]
    public async Task PythonCredentialsExample_ListsModelsOverTls()
    {
        IReadOnlyList<string> blocks = ReadmeBlocks("Python", "python");
        Assert.Equal(2, blocks.Count);
        await File.WriteAllTextAsync(Path.Combine(credentials.Root, "models.py"), WithAddress(blocks[1], credentials.Server));

        string output = await RunAsync(credentials.Root, "/usr/bin/python3", "models.py");

        AssertListsEveryModel(output, "['fashion-mnist-uvit'");
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
        string code = WithAddress(ReadmeBlocks("Node", "js")[0]);
        await File.WriteAllTextAsync(Path.Combine(root, "generate.js"), code);

        await RunAsync(root, "bash", "-ec", WithAddress(bash[1]));
        await RunAsync(root, "node", "generate.js");

        AssertPng28("out/node/image-0-seed42.png");
        AssertPng28("out/node/image-1-seed43.png");
        AssertPng28("image-0.png");
        AssertPng28("image-1.png");
    }

    [Fact]
    public async Task NodeCredentialsExample_ListsModelsOverTls()
    {
        IReadOnlyList<string> blocks = ReadmeBlocks("Node", "js");
        Assert.Equal(2, blocks.Count);
        await File.WriteAllTextAsync(Path.Combine(credentials.Root, "models.js"), WithAddress(blocks[1], credentials.Server));

        string output = await RunAsync(credentials.Root, "node", "models.js");

        // stdout first; stderr may follow with Node's DEP0123 warning (grpc-js names an IP address as the TLS server name)
        AssertListsEveryModel(output, "[ 'fashion-mnist-uvit'");
    }

    [Fact]
    public async Task PromptExamples_CommandLineScriptsAndCurl_WriteImagesOfTheTextModel()
    {
        string block = Assert.Single(ReadmeBlocks("Prompts", "bash"));
        Assert.Contains("127.0.0.1:9464", block, StringComparison.Ordinal);
        string script = WithAddress(block).Replace("127.0.0.1:9464", $"127.0.0.1:{fixture.Server.HttpPort}", StringComparison.Ordinal);
        Assert.Equal(4, script.Split('\n').Count(l => l.Contains("--prompt", StringComparison.Ordinal) || l.Contains("\"prompt\":", StringComparison.Ordinal)));

        await RunAsync(TestPaths.RepositoryRoot, "bash", "-ec", ReadmeBlocks("Command line", "bash")[0]); // the CLI's build; a no-op when built
        await RunAsync(root, "bash", "-ec", script);

        for (int k = 0; k < 4; k++)
        {
            AssertPng28($"out-prompt/image-{k}-seed{7 + k}.png");
        }
        using (JsonDocument stats = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(root, "out-prompt", "stats.json"))))
        {
            Assert.Equal(TextModel, stats.RootElement.GetProperty("model").GetString());
        }
        foreach (string client in new[] { "python", "node" })
        {
            AssertPng28($"out/{client}-prompt/image-0-seed42.png");
            AssertPng28($"out/{client}-prompt/image-1-seed43.png");
        }
        using JsonDocument line = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(root, "out", "prompt-result.json")));
        JsonElement result = line.RootElement.GetProperty("result");
        Assert.Equal(TextModel, result.GetProperty("model").GetString());
        string png = Path.Combine(root, "out", "prompt-result.png");
        await File.WriteAllBytesAsync(png, Convert.FromBase64String(Assert.Single(result.GetProperty("images").EnumerateArray()).GetProperty("png").GetString()!));
        AssertPng28(png);
    }

    [Fact]
    public async Task PromptLibraryExamples_CSharpPythonNode_WriteTwoImagesEach()
    {
        string command = Assert.Single(ReadmeBlocks("C# library", "bash"));
        string output = await RunCSharpAsync(command, CSharpExample(WithAddress(Assert.Single(ReadmeBlocks("Prompts", "csharp")))));
        Assert.Contains($"{TextModel}: ", output, StringComparison.Ordinal);

        // A prompt reaches only the text model (the class model refuses one), so images written mean it generated them.
        foreach ((string language, string file, string program) in new[] { ("python", "generate.py", "/usr/bin/python3"), ("js", "generate.js", "node") })
        {
            File.Delete(Path.Combine(root, "image-0.png"));
            File.Delete(Path.Combine(root, "image-1.png"));
            string code = WithAddress(Assert.Single(ReadmeBlocks("Prompts", language)));
            Assert.Contains(TextModel, code, StringComparison.Ordinal);
            await File.WriteAllTextAsync(Path.Combine(root, file), code);

            await RunAsync(root, program, file);

            AssertPng28("image-0.png");
            AssertPng28("image-1.png");
        }
    }

    /// <summary>The README's gRPC address replaced by the test server's; every example must name it.</summary>
    private string WithAddress(string block) => WithAddress(block, fixture.Server);

    /// <summary>The README's gRPC address replaced by <paramref name="server"/>'s.</summary>
    private static string WithAddress(string block, ServerProcess server)
    {
        Assert.Contains("127.0.0.1:50051", block, StringComparison.Ordinal);
        return block.Replace("127.0.0.1:50051", $"127.0.0.1:{server.GrpcPort}", StringComparison.Ordinal);
    }

    /// <summary>Checks a PNG written by an example: a path relative to the test's own folder, or an absolute one.</summary>
    private void AssertPng28(string relativePath)
    {
        string path = Path.Combine(root, relativePath);
        string folder = path.StartsWith(credentials.Root, StringComparison.Ordinal) ? credentials.Root : root;
        Assert.True(File.Exists(path), $"{relativePath} was not written; the folder holds: {string.Join(", ", Directory.GetFileSystemEntries(folder, "*", SearchOption.AllDirectories).Where(e => !IsLink(e)).Select(e => Path.GetRelativePath(folder, e)))}");
        PngFile image = PngFile.Read(path); // decodes every pixel, not only the header
        Assert.Equal((28, 28, 0, 8), (image.Width, image.Height, image.ColorType, image.BitDepth));
    }

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    /// <summary>Runs a command with the test server's address in ADADIFF_SERVER; fails with its output unless it exits 0.</summary>
    private Task<string> RunAsync(string workingDirectory, string fileName, params string[] args) =>
        RunProcessAsync(workingDirectory, fixture.Server.GrpcAddress, fileName, args);

    /// <summary>Runs a command (ADADIFF_SERVER set when given, ADADIFF_TOKEN unset); fails with its output unless it exits 0.</summary>
    internal static Task<string> RunProcessAsync(string workingDirectory, string? server, string fileName, params string[] args)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ADADIFF_TOKEN"] = null, // a token only where an example sets one
            ["CI"] = "true", // plain output from the command line, never the live view
        };
        if (server is not null)
        {
            environment["ADADIFF_SERVER"] = server;
        }
        return Commands.RunToSuccessAsync(workingDirectory, environment, Limit, fileName, args);
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
    internal static string MirrorRepositoryRoot()
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

    public void Dispose() => DeleteMirror(root);

    /// <summary>Deletes a folder of <see cref="MirrorRepositoryRoot"/>: the links themselves, never what they point to.</summary>
    internal static void DeleteMirror(string root)
    {
        foreach (string entry in Directory.GetFileSystemEntries(root))
        {
            if (IsLink(entry))
            {
                File.Delete(entry);
            }
        }
        Directory.Delete(root, recursive: true);
    }

    /// <summary>The example's first line of stdout: the default model first, then every package the repository ships.</summary>
    private static void AssertListsEveryModel(string output, string defaultFirst)
    {
        string firstLine = output.Split('\n')[0];
        Assert.StartsWith(defaultFirst, firstLine, StringComparison.Ordinal);
        foreach (string dir in Directory.GetDirectories(TestPaths.ModelRepository).Where(d => File.Exists(Path.Combine(d, "model.json"))))
        {
            Assert.Contains($"'{Path.GetFileName(dir)}'", firstLine, StringComparison.Ordinal);
        }
    }
}
