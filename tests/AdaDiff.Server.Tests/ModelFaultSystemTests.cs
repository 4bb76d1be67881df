using System.Net;
using AdaDiff.Grpc.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace AdaDiff.Server.Tests;

/// <summary>A repository with the default model and two broken packages, served by the real server process.</summary>
[Collection(SystemCollection.Name)]
public sealed class ModelFaultSystemTests : IDisposable
{
    private const string Model = "fashion-mnist-uvit";
    private readonly DirectoryInfo repository = Directory.CreateTempSubdirectory("adadiff-faults-");

    public ModelFaultSystemTests()
    {
        string shipped = Path.Combine(TestPaths.ModelRepository, Model);
        string good = Directory.CreateDirectory(Path.Combine(repository.FullName, Model)).FullName;
        File.Copy(Path.Combine(shipped, "model.json"), Path.Combine(good, "model.json"));
        File.Copy(Path.Combine(shipped, "weights.safetensors"), Path.Combine(good, "weights.safetensors"));
        // corrupt-weights: a valid manifest beside weights that are not safetensors (its hash check fails).
        string corrupt = Directory.CreateDirectory(Path.Combine(repository.FullName, "corrupt-weights")).FullName;
        File.Copy(Path.Combine(shipped, "model.json"), Path.Combine(corrupt, "model.json"));
        File.WriteAllText(Path.Combine(corrupt, "weights.safetensors"), "not safetensors");
        // garbled-manifest: model.json is not JSON.
        string garbled = Directory.CreateDirectory(Path.Combine(repository.FullName, "garbled-manifest")).FullName;
        File.WriteAllText(Path.Combine(garbled, "model.json"), "{ this is not json");
    }

    public void Dispose() => repository.Delete(recursive: true);

    [Fact]
    public async Task BrokenPackages_MarkedUnavailableWithTheirReasons_TheDefaultServes()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(ServerProcess.DefaultReadyTimeout, $"--AdaDiff:ModelRepository={repository.FullName}");
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new DiffusionService.DiffusionServiceClient(channel);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        // Readiness: ready (the default serves), and it names what does not and why.
        using HttpResponseMessage ready = await http.GetAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/readyz"));
        string readiness = await ready.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.StartsWith("Degraded: 1 models serve; unavailable: ", readiness, StringComparison.Ordinal);
        Assert.Contains("corrupt-weights (", readiness, StringComparison.Ordinal);
        Assert.Contains("garbled-manifest (", readiness, StringComparison.Ordinal);
        Assert.DoesNotContain(repository.FullName, readiness, StringComparison.Ordinal); // paths relative to the repository

        ListModelsResponse models = await client.ListModelsAsync(new ListModelsRequest());
        Assert.Equal(Model, models.Models[0].Name); // the default first, then the unavailable ones
        Assert.Equal(["corrupt-weights", "garbled-manifest"], models.Models.Skip(1).Select(m => m.Name).Order(StringComparer.Ordinal));
        ModelInfo served = models.Models.Single(m => m.Name == Model);
        Assert.Equal("", served.UnavailableReason);
        Assert.True(served.Depth > 0);
        ModelInfo corrupt = models.Models.Single(m => m.Name == "corrupt-weights");
        Assert.Contains("SHA-256", corrupt.UnavailableReason, StringComparison.Ordinal);
        Assert.Equal(0u, corrupt.Depth);
        Assert.NotEqual("", models.Models.Single(m => m.Name == "garbled-manifest").UnavailableReason);
        Assert.Equal(corrupt.UnavailableReason, (await client.GetModelAsync(new GetModelRequest { Name = "corrupt-weights" })).UnavailableReason);

        RpcException e = await Assert.ThrowsAsync<RpcException>(() => Generation.RunAsync(client, new GenerateRequest { Model = "corrupt-weights", Steps = 2, ClassLabel = 1 }));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("failed to load", e.Status.Detail, StringComparison.Ordinal);
        Generation g = await Generation.RunAsync(client, new GenerateRequest { Steps = 2, ClassLabel = 1 });
        Assert.Single(g.Result.Images);
        Assert.Contains("Model corrupt-weights is unavailable and will not be served", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrokenPackage_StrictModelLoading_StopsTheStartWithCode1()
    {
        await using ServerProcess server = ServerProcess.Start($"--AdaDiff:ModelRepository={repository.FullName}", "--AdaDiff:StrictModelLoading=true");

        int exitCode = await server.WaitForExitAsync(TimeSpan.FromMinutes(2));

        Assert.True(exitCode is 1, $"exit code {exitCode}:\n{server.Output}");
    }
}
