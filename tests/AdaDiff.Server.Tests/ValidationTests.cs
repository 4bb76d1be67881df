using AdaDiff.Grpc.V1;
using Google.Rpc;
using Grpc.Core;

namespace AdaDiff.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class ValidationTests(ServerFixture server)
{
    /// <summary>A request that is valid except for the one change a case makes.</summary>
    private static GenerateRequest Valid() => new()
    {
        NumImages = 1,
        Seed = 1,
        Steps = 2,
        ClassLabel = 1,
        ExitPolicy = new ExitPolicy { Mode = ExitMode.Adaptive },
        Stream = new StreamOptions { LatentEncoding = LatentEncoding.None },
    };

    /// <summary>Each case breaks one field; the key is the case name, the field is what BadRequest must name.</summary>
    private static readonly Dictionary<string, (string Field, Action<GenerateRequest, ModelInfo> Break)> Cases = new()
    {
        ["model path"] = ("model", (r, _) => r.Model = "../fashion-mnist-uvit"),
        ["model too long"] = ("model", (r, _) => r.Model = new string('a', 65)),
        ["model bad character"] = ("model", (r, _) => r.Model = "fashion mnist"),
        ["model trailing newline"] = ("model", (r, _) => r.Model = "fashion-mnist-uvit\n"),
        ["num_images over max"] = ("num_images", (r, _) => r.NumImages = 5), // the fixture allows 4
        ["sampler out of range"] = ("sampler", (r, _) => r.Sampler = (Sampler)42),
        ["steps over max"] = ("steps", (r, _) => r.Steps = 501), // the fixture allows 500
        ["steps over timesteps"] = ("steps", (r, m) => r.Steps = m.Timesteps + 1),
        ["class_label out of range"] = ("class_label", (r, m) => r.ClassLabel = m.NumClasses),
        ["prompt on a class model"] = ("prompt", (r, _) => r.Prompt = "a red sneaker"),
        ["prompt too long"] = ("prompt", (r, _) => r.Prompt = new string('x', 1025)),
        ["guidance_scale NaN"] = ("guidance_scale", (r, _) => r.GuidanceScale = float.NaN),
        ["guidance_scale negative"] = ("guidance_scale", (r, _) => r.GuidanceScale = -1f),
        ["guidance_scale infinite"] = ("guidance_scale", (r, _) => r.GuidanceScale = float.PositiveInfinity),
        ["guidance_scale over 20"] = ("guidance_scale", (r, _) => r.GuidanceScale = 20.5f),
        ["exit mode out of range"] = ("exit_policy.mode", (r, _) => r.ExitPolicy.Mode = (ExitMode)9),
        ["threshold NaN"] = ("exit_policy.threshold", (r, _) => r.ExitPolicy.Threshold = float.NaN),
        ["threshold negative"] = ("exit_policy.threshold", (r, _) => r.ExitPolicy.Threshold = -0.1f),
        ["threshold over 1"] = ("exit_policy.threshold", (r, _) => r.ExitPolicy.Threshold = 1.5f),
        ["min_layers over depth"] = ("exit_policy.min_layers", (r, m) => r.ExitPolicy.MinLayers = m.Depth + 1),
        ["fixed_depth over depth"] = ("exit_policy.fixed_depth", (r, m) => { r.ExitPolicy.Mode = ExitMode.FixedDepth; r.ExitPolicy.FixedDepth = m.Depth + 1; }),
        ["fixed_depth missing"] = ("exit_policy.fixed_depth", (r, _) => { r.ExitPolicy.Mode = ExitMode.FixedDepth; r.ExitPolicy.FixedDepth = 0; }),
        ["latent_encoding out of range"] = ("stream.latent_encoding", (r, _) => r.Stream.LatentEncoding = (LatentEncoding)7),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Generate_OneBadField_InvalidArgumentWithOneViolationNamingIt(string caseName)
    {
        (string field, Action<GenerateRequest, ModelInfo> breakIt) = Cases[caseName];
        GenerateRequest request = Valid();
        breakIt(request, server.Model);

        RpcException e = await Assert.ThrowsAsync<RpcException>(() => Generation.RunAsync(server.Client, request));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal([field], ViolatedFields(e));
    }

    [Fact]
    public async Task Generate_ThreeBadFields_OneViolationPerField()
    {
        GenerateRequest request = Valid();
        request.NumImages = 100;
        request.GuidanceScale = float.NaN;
        request.ExitPolicy.Threshold = 2f;

        RpcException e = await Assert.ThrowsAsync<RpcException>(() => Generation.RunAsync(server.Client, request));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(["exit_policy.threshold", "guidance_scale", "num_images"], ViolatedFields(e).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Generate_UnknownModel_NotFound()
    {
        GenerateRequest request = Valid();
        request.Model = "no-such-model";

        RpcException e = await Assert.ThrowsAsync<RpcException>(() => Generation.RunAsync(server.Client, request));

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Contains("no-such-model", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_ZeroValues_DefaultsResolved()
    {
        // num_images 0 means 1; guidance (with a class), threshold and min_layers 0 mean the model's defaults.
        GenerateRequest request = Valid();
        request.NumImages = 0;
        request.Steps = 3;

        Generation g = await Generation.RunAsync(server.Client, request);

        Assert.Single(g.Result.Images);
        Assert.Equal(Sampler.Ddim, g.Result.Settings.Sampler);
        Assert.Equal(3u, g.Result.Settings.Steps);
        Assert.Equal(TestPaths.Manifest("fashion-mnist-uvit").DefaultGuidanceScale, g.Result.Settings.GuidanceScale);
        Assert.Equal(server.Model.DefaultThreshold, g.Result.Settings.Threshold);
        Assert.Equal(server.Model.DefaultMinLayers, g.Result.Settings.MinLayers);
    }

    /// <summary>The fields named by the BadRequest detail of <paramref name="e"/>.</summary>
    internal static string[] ViolatedFields(RpcException e)
    {
        Google.Rpc.Status? status = e.GetRpcStatus();
        Assert.NotNull(status);
        BadRequest? badRequest = status.GetDetail<BadRequest>();
        Assert.NotNull(badRequest);
        return [.. badRequest.FieldViolations.Select(v => v.Field)];
    }
}
