using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Xml.Linq;

namespace AdaDiff.Client.Tests;

/// <summary>
/// AdaDiff.Client packed once (<c>dotnet pack</c> of the library as this test assembly's configuration built it) into
/// a scratch folder that serves as a local package feed.
/// </summary>
public sealed class PackedClientFixture : IAsyncLifetime
{
    public string Scratch { get; } = Directory.CreateTempSubdirectory("adadiff-nuget-").FullName;

    public string Feed => Path.Combine(Scratch, "feed");

    /// <summary>The package file, AdaDiff.Client.&lt;version&gt;.nupkg.</summary>
    public string Package { get; private set; } = "";

    public string Version { get; private set; } = "";

    public async Task InitializeAsync()
    {
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        string project = Path.Combine(TestPaths.RepositoryRoot, "clients", "dotnet", "AdaDiff.Client", "AdaDiff.Client.csproj");
        // --no-build: the library this assembly references is built already; packing reads it and writes only the feed
        // (and its nuspec under obj/).
        await PackageSystemTests.RunAsync(Scratch, "dotnet", "pack", project, "-c", configuration, "--no-build", "-o", Feed, "-nologo");
        Package = Assert.Single(Directory.GetFiles(Feed, "AdaDiff.Client.*.nupkg"));
        Version = Path.GetFileNameWithoutExtension(Package)["AdaDiff.Client.".Length..];
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Scratch, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>
/// The C# client as a user consumes it: the NuGet package from a local feed (a folder), referenced by a new console
/// project outside the repository (none of its Directory.Build.props or central versions apply) with its own
/// nuget.config naming that feed and nuget.org, built, and run against the real server.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class PackageSystemTests(ServerFixture fixture, PackedClientFixture packed) : IClassFixture<PackedClientFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    /// <summary>A user's shell: no NUGET_PACKAGES (which would override the project's packages folder), no telemetry or logo.</summary>
    private static readonly Dictionary<string, string?> UserShell = new()
    {
        ["NUGET_PACKAGES"] = null,
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
    };
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// The console program: one image of 3 steps; prints the step indices and the size of the image decoded through the
    /// package's PNG decoder (its native library restored with it), and writes the PNG.
    /// </summary>
    private const string ConsoleProgram = """
        using AdaDiff.Client;
        using AdaDiff.Grpc.V1;

        using var client = new AdaDiffClient(new AdaDiffClientOptions { Address = new Uri(args[0]) });
        var steps = new List<uint>();
        byte[]? png = null;
        PreviewImage? decoded = null;
        var request = new GenerateRequest { ClassLabel = 5, NumImages = 1, Steps = 3, Seed = 21 };
        await foreach (GenerationEvent e in client.GenerateAsync(request, timeout: TimeSpan.FromMinutes(2)))
        {
            if (e is StepProgress step) steps.Add(step.Update.StepIndex);
            else if (e is GenerationCompleted done) (png, decoded) = (done.Png(0).ToArray(), done.DecodeImage(0));
        }
        File.WriteAllBytes("image-0.png", png ?? throw new InvalidOperationException("no result"));
        Console.WriteLine($"steps: {string.Join(',', steps)}");
        Console.WriteLine($"decoded: {decoded!.Width}x{decoded.Height}");
        """;

    [Fact]
    public void Pack_ClientLibrary_CarriesGeneratedTypesDocsReadmeAndRuntimeDependenciesOnly()
    {
        using ZipArchive zip = ZipFile.OpenRead(packed.Package);
        string[] entries = [.. zip.Entries.Select(e => e.FullName)];
        Assert.Contains("lib/net10.0/AdaDiff.Client.dll", entries);
        Assert.Contains("lib/net10.0/AdaDiff.Client.xml", entries);
        Assert.Contains("README.md", entries);

        XDocument nuspec;
        using (Stream stream = zip.GetEntry("AdaDiff.Client.nuspec")!.Open())
        {
            nuspec = XDocument.Load(stream);
        }
        XNamespace ns = nuspec.Root!.Name.Namespace;
        XElement metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("AdaDiff.Client", metadata.Element(ns + "id")!.Value);
        Assert.Equal("MIT", metadata.Element(ns + "license")!.Value);
        Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);
        // Grpc.Tools generated the code at build time: not a dependency of the package's consumers.
        Assert.Equal(
            ["Google.Protobuf", "Grpc.HealthCheck", "Grpc.Net.Client", "Grpc.StatusProto", "SkiaSharp", "SkiaSharp.NativeAssets.Linux.NoDependencies"],
            metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).Order(StringComparer.Ordinal));

        using var dll = new MemoryStream();
        using (Stream stream = zip.GetEntry("lib/net10.0/AdaDiff.Client.dll")!.Open())
        {
            stream.CopyTo(dll);
        }
        dll.Position = 0;
        using var pe = new PEReader(dll);
        MetadataReader reader = pe.GetMetadataReader();
        string[] types = [.. reader.TypeDefinitions.Select(h => FullName(reader, reader.GetTypeDefinition(h)))];
        Assert.Contains("AdaDiff.Grpc.V1.GenerateRequest", types);
        Assert.Contains("AdaDiff.Grpc.V1.DiffusionService+DiffusionServiceClient", types);
    }

    [Fact]
    public async Task PackageFromLocalFeed_InProjectOutsideTheRepository_BuildsAndGeneratesAnImage()
    {
        string app = Path.Combine(packed.Scratch, "app");
        Directory.CreateDirectory(app);
        // Packages restore into the project's own folder so that the package just packed is used, never one of the same
        // version cached by an earlier run; its dependencies come from the machine's packages folder (offline) or nuget.org.
        string machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="packages" />
              </config>
              <fallbackPackageFolders>
                <add key="machine" value="{machinePackages}" />
              </fallbackPackageFolders>
              <packageSources>
                <clear />
                <add key="adadiff-local" value="{packed.Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="AdaDiff.Client" Version="{packed.Version}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), ConsoleProgram);

        string output = await RunAsync(app, "dotnet", "run", "--", fixture.Server.GrpcAddress);

        Assert.Contains("steps: 0,1,2\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("decoded: 28x28\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        byte[] png = await File.ReadAllBytesAsync(Path.Combine(app, "image-0.png"));
        Assert.Equal(PngSignature, png.AsSpan(0, 8).ToArray());
        string id = $"adadiff.client.{packed.Version}.nupkg".ToLowerInvariant();
        string restored = Path.Combine(app, "packages", "adadiff.client", packed.Version.ToLowerInvariant(), id);
        Assert.True(File.Exists(restored),
            $"AdaDiff.Client {packed.Version} was not restored from the feed into {Path.GetDirectoryName(restored)}: is it in {machinePackages} already?");
        Assert.Equal(SHA256.HashData(await File.ReadAllBytesAsync(packed.Package)), SHA256.HashData(await File.ReadAllBytesAsync(restored)));
    }

    /// <summary>Namespace.Name of a type definition, Outer+Inner for a nested one.</summary>
    private static string FullName(MetadataReader reader, TypeDefinition type)
    {
        TypeDefinitionHandle outer = type.GetDeclaringType();
        return outer.IsNil
            ? $"{reader.GetString(type.Namespace)}.{reader.GetString(type.Name)}"
            : $"{FullName(reader, reader.GetTypeDefinition(outer))}+{reader.GetString(type.Name)}";
    }

    /// <summary>Runs a command in <paramref name="workingDirectory"/> with <see cref="UserShell"/>; fails with its output unless it exits 0.</summary>
    internal static Task<string> RunAsync(string workingDirectory, string fileName, params string[] args) =>
        Commands.RunToSuccessAsync(workingDirectory, UserShell, Limit, fileName, args);
}
