using AdaDiff.Grpc.V1;

namespace AdaDiff.Server.Tests;

/// <summary>
/// guidance_scale 0 on the shipped default model: the scale comes from its model.json as it is on disk, so these hold
/// whether the package sets defaultGuidanceScale or not (<see cref="PackageGuidanceTests"/> sets one).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class GuidanceTests(ServerFixture server)
{
    private const string Model = "fashion-mnist-uvit";

    private const uint Images = 2;

    private const uint Steps = 2;

    internal static GenerateRequest Request(float guidance, uint? classLabel, ulong seed = 21)
    {
        var request = new GenerateRequest
        {
            NumImages = Images,
            Seed = seed,
            Steps = Steps,
            GuidanceScale = guidance,
            Stream = new StreamOptions { LatentEncoding = LatentEncoding.None },
        };
        if (classLabel is uint label)
        {
            request.ClassLabel = label;
        }
        return request;
    }

    /// <summary>Network rows per image the generation ran: FLOPs of a full pass count every row (two with guidance).</summary>
    internal static double RowsPerImage(Generation g, ModelInfo model) =>
        g.Result.Stats.FlopsFull / (Images * Steps * model.FlopsPerForward);

    [Fact]
    public async Task Generate_ClassLabelGuidanceZero_ResolvesToModelDefault()
    {
        float expected = TestPaths.Manifest(Model).DefaultGuidanceScale;

        Generation g = await Generation.RunAsync(server.Client, Request(0f, classLabel: 4));

        Assert.Equal(expected, g.Result.Settings.GuidanceScale);
        Assert.Equal(expected == 1f ? 1 : 2, RowsPerImage(g, server.Model), 6);
    }

    [Fact]
    public async Task Generate_UnconditionalGuidanceZero_ResolvesToOne()
    {
        Generation g = await Generation.RunAsync(server.Client, Request(0f, classLabel: null));

        Assert.Equal(1f, g.Result.Settings.GuidanceScale);
        Assert.Equal(1, RowsPerImage(g, server.Model), 6);
    }

    [Theory]
    [InlineData(1f, 1)]
    [InlineData(2.5f, 2)]
    [InlineData(20f, 2)]
    public async Task Generate_ExplicitScaleWithClassLabel_Kept(float scale, int rowsPerImage)
    {
        Generation g = await Generation.RunAsync(server.Client, Request(scale, classLabel: 4));

        Assert.Equal(scale, g.Result.Settings.GuidanceScale);
        Assert.Equal(rowsPerImage, RowsPerImage(g, server.Model), 6);
    }
}
