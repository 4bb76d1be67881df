using AdaDiff.Backends.Onnx;
using AdaDiff.Grpc.V1;
using AdaDiff.Packaging;
using Google.Rpc;
using Grpc.Core;
using Xunit.Abstractions;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>
/// Both backends end to end through the real server: the same Generate calls over real sockets to a server
/// process running onnxruntime and one running torchsharp give the same PNGs (PSNR), the same exit layers and
/// the same errors.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class ServerEndToEndTests(ServersFixture fixture, ITestOutputHelper output)
{
    private const uint Steps = 10;
    private const ulong Seed = 2024;
    private const uint ClassLabel = 7;

    /// <summary>Exit decisions on certainties this close to the threshold may go either way between backends.</summary>
    private const float Ambiguous = 1e-3f;

    [Fact]
    public async Task ListModels_EachServer_ReportsItsBackendAndCpuProvider()
    {
        foreach (string backend in new[] { "onnxruntime", "torchsharp" })
        {
            ListModelsResponse models = await fixture.Get(backend).ListModelsAsync(new ListModelsRequest());

            ModelInfo model = Assert.Single(models.Models);
            Assert.Equal(ServersFixture.Model, model.Name);
            Assert.Equal(backend, model.Backend);
            Assert.Equal("cpu", model.ExecutionProvider);
        }
    }

    /// <summary>The shipped package has no ONNX export: the server builds it at load and caches it beside the package.</summary>
    [Fact]
    public void Start_PackageWithoutOnnxExport_ServerExportsItAndCachesItBesideThePackage()
    {
        string package = Path.Combine(fixture.Repository, ServersFixture.Model);
        string folder = Path.Combine(package, OnnxExport.FolderName);
        Assert.Contains($"Model {ServersFixture.Model}: ONNX graphs from exported in memory", fixture.OnnxOutput, StringComparison.Ordinal);
        Assert.Contains($"cached in {folder}", fixture.OnnxOutput, StringComparison.Ordinal);
        OnnxExport? cached = OnnxExport.Read(package, PackageWeights.Read(package)); // verified against the weights and each graph's hash
        Assert.NotNull(cached);
    }

    [Fact]
    public async Task Generate_FullDepth_SameSeedsSamePngsAndLayers()
    {
        var request = Request(new ExitPolicy { Mode = ExitMode.FullDepth });

        (Generation onnx, Generation torch) = await BothAsync(request);

        Compare("FULL_DEPTH", onnx, torch, threshold: null);
        Assert.Equal(onnx.Result.Stats.LayersFull, onnx.Result.Stats.LayersExecuted);
    }

    [Fact]
    public async Task Generate_AdaptiveThresholdAmidCertainties_SameSeedsSamePngsAndExitLayers()
    {
        ModelInfo model = (await fixture.Onnx.ListModelsAsync(new ListModelsRequest())).Models[0];
        float threshold = await CalibrateThresholdAsync(model.Depth);
        var request = Request(new ExitPolicy { Mode = ExitMode.Adaptive, Threshold = threshold, MinLayers = 1 });

        (Generation onnx, Generation torch) = await BothAsync(request);

        Compare($"ADAPTIVE threshold {threshold:F4}", onnx, torch, threshold);
        foreach (Generation g in new[] { onnx, torch })
        {
            // Exits really happened, and not all at the first layer: the threshold sits amid the certainties.
            Assert.InRange(g.Result.Stats.LayersExecuted, Steps * 2 + 1, g.Result.Stats.LayersFull - 1);
        }
    }

    public static TheoryData<string> BadRequests => new() { "steps 100000", "unknown model", "threshold 2", "num_images 100000", "class out of range" };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Generate_BadInput_SameStatusAndFieldViolations(string scenario)
    {
        GenerateRequest request = Request(new ExitPolicy { Mode = ExitMode.Adaptive });
        switch (scenario)
        {
            case "steps 100000": request.Steps = 100000; break;
            case "unknown model": request.Model = "no-such-model"; break;
            case "threshold 2": request.ExitPolicy.Threshold = 2; break;
            case "num_images 100000": request.NumImages = 100000; break;
            case "class out of range": request.ClassLabel = 10; break;
            default: throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "unknown scenario");
        }

        RpcException a = await Assert.ThrowsAsync<RpcException>(() => Generation.RunAsync(fixture.Onnx, request));
        RpcException b = await Assert.ThrowsAsync<RpcException>(() => Generation.RunAsync(fixture.TorchSharp, request));

        output.WriteLine($"{scenario}: {a.StatusCode} '{a.Status.Detail}' [{string.Join(", ", Violations(a))}]");
        Assert.Equal(scenario == "unknown model" ? StatusCode.NotFound : StatusCode.InvalidArgument, a.StatusCode);
        Assert.Equal(a.StatusCode, b.StatusCode);
        Assert.Equal(a.Status.Detail, b.Status.Detail);
        Assert.Equal(Violations(a), Violations(b));
        if (a.StatusCode == StatusCode.InvalidArgument)
        {
            Assert.NotEmpty(Violations(a));
        }
    }

    private static GenerateRequest Request(ExitPolicy exit) => new()
    {
        Model = ServersFixture.Model,
        NumImages = 2,
        Seed = Seed,
        Sampler = Sampler.Ddim,
        Steps = Steps,
        ClassLabel = ClassLabel,
        ExitPolicy = exit,
        Stream = new StreamOptions { LatentEncoding = LatentEncoding.None },
    };

    /// <summary>The same request to both servers at once (each runs on its own core).</summary>
    private async Task<(Generation Onnx, Generation Torch)> BothAsync(GenerateRequest request)
    {
        Task<Generation> onnx = Generation.RunAsync(fixture.Onnx, request);
        Task<Generation> torch = Generation.RunAsync(fixture.TorchSharp, request);
        return (await onnx, await torch);
    }

    /// <summary>
    /// A threshold amid this model's certainties (they move as the model trains): bisects on the onnxruntime
    /// server between the lowest and highest certainty seen until the images run 25–75 % of the full-depth layers
    /// (or, after 10 tries, the last threshold at which some exit early and not all at layer 1).
    /// </summary>
    private async Task<float> CalibrateThresholdAsync(uint depth)
    {
        // Threshold 1 runs every layer and reports the last layer's certainty; a tiny one exits at layer 1.
        Generation deepest = await Generation.RunAsync(fixture.Onnx, Request(new ExitPolicy { Mode = ExitMode.Adaptive, Threshold = 1, MinLayers = 1 }));
        Generation first = await Generation.RunAsync(fixture.Onnx, Request(new ExitPolicy { Mode = ExitMode.Adaptive, Threshold = 1e-6f, MinLayers = 1 }));
        float[] seen = [.. deepest.Steps.Concat(first.Steps).SelectMany(s => s.Certainties)];
        float lo = seen.Min(), hi = seen.Max();
        float? usable = null;
        for (int i = 0; i < 10; i++)
        {
            float threshold = (lo + hi) / 2;
            Generation g = await Generation.RunAsync(fixture.Onnx, Request(new ExitPolicy { Mode = ExitMode.Adaptive, Threshold = threshold, MinLayers = 1 }));
            double fraction = (double)g.Result.Stats.LayersExecuted / g.Result.Stats.LayersFull;
            output.WriteLine($"calibration: threshold {threshold:F4} in [{lo:F4}, {hi:F4}] runs {g.Result.Stats.LayersExecuted} of {g.Result.Stats.LayersFull} layers");
            if (g.Result.Stats.LayersExecuted > Steps * 2 && fraction < 1)
            {
                usable = threshold;
            }
            if (fraction is >= 0.25 and <= 0.75)
            {
                return threshold;
            }
            (lo, hi) = fraction > 0.75 ? (lo, threshold) : (threshold, hi);
        }
        Assert.True(usable is not null, $"no threshold in [{lo}, {hi}] makes the {depth}-layer model exit early at some steps and late at others");
        return usable.Value;
    }

    /// <summary>
    /// PSNR of every image pair at least 40 dB; the same exit layer for every step and image whose certainty is
    /// not within <see cref="Ambiguous"/> of <paramref name="threshold"/> on either backend (after an ambiguous
    /// decision that went differently the image's trajectories may part, so its later steps are not compared).
    /// </summary>
    private void Compare(string what, Generation onnx, Generation torch, float? threshold)
    {
        Assert.Equal(onnx.Steps.Count, torch.Steps.Count);
        Assert.Equal(onnx.Result.Images.Count, torch.Result.Images.Count);
        int images = onnx.Result.Images.Count;
        var parted = new bool[images];
        int compared = 0, skipped = 0;
        double maxCertaintyDiff = 0;
        for (int s = 0; s < onnx.Steps.Count; s++)
        {
            StepUpdate a = onnx.Steps[s], b = torch.Steps[s];
            Assert.Equal(a.Timestep, b.Timestep);
            for (int k = 0; k < images; k++)
            {
                if (parted[k])
                {
                    skipped++;
                    continue;
                }
                if (threshold is float t && (Math.Abs(a.Certainties[k] - t) < Ambiguous || Math.Abs(b.Certainties[k] - t) < Ambiguous))
                {
                    parted[k] = a.ExitLayers[k] != b.ExitLayers[k];
                    skipped++;
                    continue;
                }
                Assert.True(a.ExitLayers[k] == b.ExitLayers[k],
                    $"{what}: step {s} image {k} exits at layer {a.ExitLayers[k]} (certainty {a.Certainties[k]}) on onnxruntime, {b.ExitLayers[k]} ({b.Certainties[k]}) on torchsharp");
                if (threshold is not null)
                {
                    maxCertaintyDiff = Math.Max(maxCertaintyDiff, Math.Abs(a.Certainties[k] - b.Certainties[k]));
                }
                compared++;
            }
        }
        if (!parted.Contains(true))
        {
            Assert.Equal(onnx.Result.Stats.LayersExecuted, torch.Result.Stats.LayersExecuted);
        }
        for (int k = 0; k < images; k++)
        {
            Assert.Equal(onnx.Result.Images[k].Seed, torch.Result.Images[k].Seed);
            double psnr = Psnr(onnx.Result.Images[k].Png.ToByteArray(), torch.Result.Images[k].Png.ToByteArray());
            output.WriteLine($"{what}: image {k} PSNR {psnr:F1} dB");
            Assert.True(psnr >= 40, $"{what}: image {k} PSNR {psnr:F1} dB < 40 dB");
        }
        output.WriteLine($"{what}: exit layers equal at {compared} step-images, {skipped} ambiguous; layers run onnxruntime {onnx.Result.Stats.LayersExecuted}, torchsharp {torch.Result.Stats.LayersExecuted} of {onnx.Result.Stats.LayersFull}; max certainty difference {maxCertaintyDiff:G3}; wall {onnx.Result.Stats.WallSeconds:F2} s / {torch.Result.Stats.WallSeconds:F2} s");
    }

    /// <summary>PSNR of two 8-bit PNGs of the same size (peak 255); infinity when identical.</summary>
    private static double Psnr(byte[] pngA, byte[] pngB)
    {
        PngFile a = PngFile.Read(pngA);
        PngFile b = PngFile.Read(pngB);
        Assert.Equal(a.Width, b.Width);
        Assert.Equal(a.Height, b.Height);
        double se = 0;
        for (int y = 0; y < a.Height; y++)
        {
            for (int x = 0; x < a.Width; x++)
            {
                double d = a.Gray(x, y) - b.Gray(x, y);
                se += d * d;
            }
        }
        double mse = se / (a.Width * a.Height);
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    private static string[] Violations(RpcException e)
    {
        BadRequest? badRequest = e.GetRpcStatus()?.GetDetail<BadRequest>();
        return badRequest is null ? [] : [.. badRequest.FieldViolations.Select(v => $"{v.Field}: {v.Description}")];
    }
}
