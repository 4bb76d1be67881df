using AdaDiff.Grpc.V1;
using Grpc.Core;

namespace AdaDiff.Client.Tests;

[Collection(ServerCollection.Name)]
public sealed class ClientSystemTests(ServerFixture fixture)
{
    private AdaDiffClient NewClient(int attempts = 3) =>
        new(new AdaDiffClientOptions { Address = new Uri(fixture.Server.GrpcAddress), MaxAttempts = attempts });

    [Fact]
    public async Task GenerateAsync_TwoImages_OneStepEventPerStepThenResult()
    {
        using AdaDiffClient client = NewClient();
        var request = new GenerateRequest
        {
            ClassLabel = 3, NumImages = 2, Steps = 4, Seed = 11,
            Stream = new StreamOptions { LatentEncoding = LatentEncoding.Float16, PreviewEveryNSteps = 2 },
        };
        var events = new List<GenerationEvent>();
        await foreach (GenerationEvent e in client.GenerateAsync(request))
        {
            events.Add(e);
        }

        Assert.Equal(5, events.Count);
        StepProgress[] steps = [.. events.Take(4).Cast<StepProgress>()];
        Assert.Equal([0u, 1, 2, 3], steps.Select(s => s.Update.StepIndex));
        Assert.Equal([1, 2, 3, 4], steps.Select(s => s.StepsSoFar));
        uint depth = steps[0].Update.FullDepth;
        foreach (StepProgress s in steps)
        {
            Assert.Equal(2, s.ExitLayers.Count);
            Assert.All(s.ExitLayers, layer => Assert.InRange(layer, 1u, depth));
            LatentArray latent = s.DecodeLatent()!;
            Assert.Equal([2L, 1, 28, 28], latent.Shape);
            Assert.All(latent.Data, v => Assert.True(float.IsFinite(v)));
        }
        Assert.Equal([0, 2, 0, 2], steps.Select(s => s.DecodePreviews().Count));
        Assert.Equal(28, steps[3].DecodePreviews()[1].Width);

        var done = Assert.IsType<GenerationCompleted>(events[4]);
        Assert.Equal([11UL, 12UL], done.Result.Images.Select(i => i.Seed));
        PreviewImage image = done.DecodeImage(1);
        Assert.Equal((28, 28), (image.Width, image.Height));
        Assert.Equal((ulong)steps[3].LayersExecuted, done.Result.Stats.LayersExecuted);
        Assert.Equal((ulong)steps[3].LayersFull, done.Result.Stats.LayersFull);
        Assert.Equal(done.Result.Stats.AccelerationRatio, steps[3].AccelerationRatio, 9);
    }

    [Fact]
    public async Task GenerateAsync_BadSteps_InvalidArgumentWithFieldViolation()
    {
        using AdaDiffClient client = NewClient(attempts: 5);
        var e = await Assert.ThrowsAsync<RpcException>(() => client.GenerateToEndAsync(new GenerateRequest { Steps = 100000 }));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(RpcErrors.FieldViolations(e), v => v.Field == "steps");
    }

    [Fact]
    public async Task GenerateAsync_PromptToTheClassModel_InvalidArgumentNamingPrompt()
    {
        using AdaDiffClient client = NewClient();
        var e = await Assert.ThrowsAsync<RpcException>(() => client.GenerateToEndAsync(new GenerateRequest { Prompt = "a small dark ankle boot", Steps = 2 }));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(RpcErrors.FieldViolations(e), v => v.Field == "prompt" && v.Description.Contains("class-conditional", StringComparison.Ordinal));
        IReadOnlyList<ModelInfo> models = await client.ListModelsAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Conditioning.Class, models[0].Conditioning);
    }

    [Fact]
    public async Task GenerateAsync_PastDeadline_DeadlineExceeded()
    {
        using AdaDiffClient client = NewClient();
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            client.GenerateToEndAsync(new GenerateRequest { Steps = 1000, NumImages = 2 }, timeout: TimeSpan.FromMilliseconds(200)));
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
    }

    [Fact]
    public async Task ListModelsAsync_RoundRobinOverDnsName_ReachesServer()
    {
        using var client = new AdaDiffClient(new AdaDiffClientOptions
        {
            Address = new Uri($"dns:///localhost:{fixture.Server.GrpcPort}"),
            RoundRobin = true,
        });
        IReadOnlyList<ModelInfo> models = await client.ListModelsAsync(TimeSpan.FromSeconds(30));
        Assert.True(models[0].IsDefault);
        Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, await client.CheckHealthAsync());
    }
}
