using System.Text.Json.Nodes;
using AdaDiff.Grpc.V1;
using ModelManifest = AdaDiff.Engine.ModelManifest;

namespace AdaDiff.Server.Tests;

/// <summary>
/// The server on a copy of the default package whose model.json sets <c>defaultGuidanceScale</c> to
/// <see cref="Scale"/>. Its own collection, like <see cref="QueueTests"/>: collections run one after another, so its
/// host never lives beside the shared fixture's (both meters are named AdaDiff.Server).
/// </summary>
[Collection(Name)]
public sealed class PackageGuidanceTests : IAsyncLifetime
{
    public const string Name = "package-guidance";

    private const string Model = "fashion-mnist-uvit";

    /// <summary>Neither 1 (no guidance) nor the evaluation's 3 that the shipped package may hold: only the copy's value gives it.</summary>
    private const float Scale = 2.5f;

    private readonly string repository;

    private readonly ServerFixture server;

    public PackageGuidanceTests()
    {
        repository = CopyDefaultPackage(Scale);
        server = new ServerFixture(new Dictionary<string, string?> { ["AdaDiff:ModelRepository"] = repository });
    }

    public Task InitializeAsync() => server.InitializeAsync();

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Directory.Delete(repository, recursive: true);
    }

    [Fact]
    public async Task GetModelAndListModels_PackageWithScale_ReportIt()
    {
        ModelInfo info = await server.Client.GetModelAsync(new GetModelRequest { Name = Model });
        ListModelsResponse list = await server.Client.ListModelsAsync(new ListModelsRequest());

        Assert.Equal(Scale, info.DefaultGuidanceScale);
        Assert.Equal(Scale, Assert.Single(list.Models).DefaultGuidanceScale);
    }

    [Fact]
    public async Task Generate_ClassLabelGuidanceZero_SampledWithPackageScale()
    {
        Generation byDefault = await Generation.RunAsync(server.Client, GuidanceTests.Request(0f, classLabel: 7, seed: 5));
        Generation explicitScale = await Generation.RunAsync(server.Client, GuidanceTests.Request(Scale, classLabel: 7, seed: 5));
        Generation unguided = await Generation.RunAsync(server.Client, GuidanceTests.Request(1f, classLabel: 7, seed: 5));

        Assert.Equal(Scale, byDefault.Result.Settings.GuidanceScale);
        Assert.Equal(2, GuidanceTests.RowsPerImage(byDefault, server.Model), 6);
        // Applied, not only reported: the same images as asking for the scale, other images than no guidance.
        Assert.Equal(explicitScale.Result.Images.Select(i => i.Png), byDefault.Result.Images.Select(i => i.Png));
        Assert.Equal(1f, unguided.Result.Settings.GuidanceScale);
        Assert.Equal(1, GuidanceTests.RowsPerImage(unguided, server.Model), 6);
        Assert.NotEqual(unguided.Result.Images.Select(i => i.Png), byDefault.Result.Images.Select(i => i.Png));
    }

    [Fact]
    public async Task Generate_UnconditionalGuidanceZero_ResolvesToOne()
    {
        Generation g = await Generation.RunAsync(server.Client, GuidanceTests.Request(0f, classLabel: null));

        Assert.Equal(1f, g.Result.Settings.GuidanceScale);
        Assert.Equal(1, GuidanceTests.RowsPerImage(g, server.Model), 6);
    }

    /// <summary>A model repository in a temporary folder holding the default package with its manifest's scale set.</summary>
    private static string CopyDefaultPackage(float scale)
    {
        string repository = Directory.CreateTempSubdirectory("adadiff-guidance-models-").FullName;
        string source = Path.Combine(TestPaths.ModelRepository, Model);
        string package = Directory.CreateDirectory(Path.Combine(repository, Model)).FullName;
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(package, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        string manifestPath = Path.Combine(package, "model.json");
        JsonObject manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        manifest["defaultGuidanceScale"] = scale;
        File.WriteAllText(manifestPath, manifest.ToJsonString(ModelManifest.JsonOptions));
        Assert.Equal(scale, ModelManifest.Load(manifestPath).DefaultGuidanceScale);
        return repository;
    }
}
