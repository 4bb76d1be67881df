using System.Text.Json;
using AdaDiff.Grpc.V1;
using Grpc.Core;
using ModelManifest = AdaDiff.Engine.ModelManifest;

namespace AdaDiff.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class ModelTests(ServerFixture server)
{
    [Fact]
    public async Task ListModels_Default_ListsDefaultModelFirst()
    {
        ListModelsResponse response = await server.Client.ListModelsAsync(new ListModelsRequest());

        Assert.NotEmpty(response.Models);
        Assert.Equal("fashion-mnist-uvit", response.Models[0].Name);
        Assert.True(response.Models[0].IsDefault);
        Assert.Single(response.Models, m => m.IsDefault);
        Assert.Equal(response.Models.Count, Directory.GetFiles(TestPaths.ModelRepository, "model.json", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task GetModel_DefaultModel_DescribesItsManifest()
    {
        ModelInfo info = await server.Client.GetModelAsync(new GetModelRequest { Name = "fashion-mnist-uvit" });

        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.ModelRepository, "fashion-mnist-uvit", "model.json")));
        JsonElement root = manifest.RootElement;
        Assert.Equal("fashion-mnist-uvit", info.Name);
        Assert.Equal(root.GetProperty("depth").GetUInt32(), info.Depth);
        Assert.Equal(root.GetProperty("channels").GetUInt32(), info.Channels);
        Assert.Equal(root.GetProperty("height").GetUInt32(), info.Height);
        Assert.Equal(root.GetProperty("width").GetUInt32(), info.Width);
        Assert.Equal(root.GetProperty("numClasses").GetUInt32(), info.NumClasses);
        Assert.Equal((int)info.NumClasses, info.ClassNames.Count);
        Assert.Equal("onnxruntime", info.Backend);
        Assert.Equal("cpu", info.ExecutionProvider);
        Assert.InRange(info.DefaultThreshold, float.Epsilon, 1f);
        Assert.InRange(info.DefaultMinLayers, 1u, info.Depth);
        Assert.Equal(TestPaths.Manifest("fashion-mnist-uvit").DefaultGuidanceScale, info.DefaultGuidanceScale); // 0 if unmapped
        Assert.True(info.FlopsPerForward > 0);
        Assert.True(info.Timesteps >= 2);
        Assert.True(info.IsDefault);
    }

    [Fact]
    public async Task ListModels_EveryModel_ReportsItsManifestDefaults()
    {
        ListModelsResponse response = await server.Client.ListModelsAsync(new ListModelsRequest());

        Assert.All(response.Models, info =>
        {
            ModelManifest manifest = TestPaths.Manifest(info.Name);
            Assert.Equal(manifest.DefaultThreshold, info.DefaultThreshold);
            Assert.Equal((uint)manifest.DefaultMinLayers, info.DefaultMinLayers);
            Assert.Equal(manifest.DefaultGuidanceScale, info.DefaultGuidanceScale);
            Assert.InRange(info.DefaultGuidanceScale, 1f, 20f);
        });
    }

    [Fact]
    public async Task GetModel_UnknownName_NotFound()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => server.Client.GetModelAsync(new GetModelRequest { Name = "no-such-model" }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }

    [Theory]
    [InlineData("../fashion-mnist-uvit")]
    [InlineData("/etc/passwd")]
    [InlineData("")]
    public async Task GetModel_InvalidName_InvalidArgumentNamingName(string name)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => server.Client.GetModelAsync(new GetModelRequest { Name = name }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(["name"], ValidationTests.ViolatedFields(e));
    }
}
