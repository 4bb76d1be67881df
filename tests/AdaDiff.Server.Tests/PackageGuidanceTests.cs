using System.Text.Json.Nodes;
using AdaDiff.Grpc.V1;
using ModelManifest = AdaDiff.Engine.ModelManifest;

namespace AdaDiff.Server.Tests;

/// <summary>
/// The server on a copy of the default package whose model.json sets <c>defaultGuidanceScale</c> to
/// <see cref="Scale"/>, in its own collection (<see cref="RepositoryServerTests"/>).
/// </summary>
[Collection(Name)]
public sealed class PackageGuidanceTests() : RepositoryServerTests(CopyDefaultPackage(Scale))
{
    public const string Name = "package-guidance";

    private const string Model = "fashion-mnist-uvit";

    /// <summary>Neither 1 (no guidance) nor the evaluation's 3 that the shipped package may hold: only the copy's value gives it.</summary>
    private const float Scale = 2.5f;

    [Fact]
    public async Task GetModelAndListModels_PackageWithScale_ReportIt()
    {
        ModelInfo info = await Server.Client.GetModelAsync(new GetModelRequest { Name = Model });
        ListModelsResponse list = await Server.Client.ListModelsAsync(new ListModelsRequest());

        Assert.Equal(Scale, info.DefaultGuidanceScale);
        Assert.Equal(Scale, Assert.Single(list.Models).DefaultGuidanceScale);
    }

    [Fact]
    public async Task Generate_ClassLabelGuidanceZero_SampledWithPackageScale()
    {
        Generation byDefault = await Generation.RunAsync(Server.Client, GuidanceTests.Request(0f, classLabel: 7, seed: 5));
        Generation explicitScale = await Generation.RunAsync(Server.Client, GuidanceTests.Request(Scale, classLabel: 7, seed: 5));
        Generation unguided = await Generation.RunAsync(Server.Client, GuidanceTests.Request(1f, classLabel: 7, seed: 5));

        Assert.Equal(Scale, byDefault.Result.Settings.GuidanceScale);
        Assert.Equal(2, GuidanceTests.RowsPerImage(byDefault, Server.Model), 6);
        // Applied, not only reported: the same images as asking for the scale, other images than no guidance.
        Assert.Equal(explicitScale.Result.Images.Select(i => i.Png), byDefault.Result.Images.Select(i => i.Png));
        Assert.Equal(1f, unguided.Result.Settings.GuidanceScale);
        Assert.Equal(1, GuidanceTests.RowsPerImage(unguided, Server.Model), 6);
        Assert.NotEqual(unguided.Result.Images.Select(i => i.Png), byDefault.Result.Images.Select(i => i.Png));
    }

    [Fact]
    public async Task Generate_UnconditionalGuidanceZero_ResolvesToOne()
    {
        Generation g = await Generation.RunAsync(Server.Client, GuidanceTests.Request(0f, classLabel: null));

        Assert.Equal(1f, g.Result.Settings.GuidanceScale);
        Assert.Equal(1, GuidanceTests.RowsPerImage(g, Server.Model), 6);
    }

    /// <summary>A model repository in a temporary folder holding the default package with its manifest's scale set.</summary>
    private static string CopyDefaultPackage(float scale)
    {
        string repository = Directory.CreateTempSubdirectory("adadiff-guidance-models-").FullName;
        string package = CopyPackage(repository, Model);
        string manifestPath = Path.Combine(package, "model.json");
        JsonObject manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        manifest["defaultGuidanceScale"] = scale;
        File.WriteAllText(manifestPath, manifest.ToJsonString(ModelManifest.JsonOptions));
        Assert.Equal(scale, ModelManifest.Load(manifestPath).DefaultGuidanceScale);
        return repository;
    }
}
