using System.Buffers.Binary;
using AdaDiff.Grpc.V1;

namespace AdaDiff.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class GenerateTests(ServerFixture server)
{
    private const uint Steps = 6;

    private static GenerateRequest Request(uint images = 2, ulong seed = 1234, ExitPolicy? exit = null, StreamOptions? stream = null, uint steps = Steps) => new()
    {
        NumImages = images,
        Seed = seed,
        Sampler = Sampler.Ddim,
        Steps = steps,
        ClassLabel = 3,
        ExitPolicy = exit ?? new ExitPolicy { Mode = ExitMode.Adaptive },
        Stream = stream ?? new StreamOptions { LatentEncoding = LatentEncoding.None },
    };

    [Fact]
    public async Task Generate_Adaptive_StreamsOneStepUpdatePerStepThenOneResult()
    {
        Generation g = await Generation.RunAsync(server.Client, Request(exit: new ExitPolicy { Mode = ExitMode.Adaptive, MinLayers = 3 }));

        Assert.Equal((int)Steps, g.Steps.Count);
        uint previousTimestep = uint.MaxValue;
        for (int i = 0; i < g.Steps.Count; i++)
        {
            StepUpdate step = g.Steps[i];
            Assert.Equal((uint)i, step.StepIndex);
            Assert.True(step.Timestep < previousTimestep, "timesteps decrease");
            Assert.True(step.Timestep < server.Model.Timesteps);
            previousTimestep = step.Timestep;
            Assert.Equal(server.Model.Depth, step.FullDepth);
            Assert.Equal(2, step.ExitLayers.Count);
            Assert.Equal(2, step.Certainties.Count);
            Assert.All(step.ExitLayers, layer => Assert.InRange(layer, 3u, server.Model.Depth));
            Assert.All(step.Certainties, c => Assert.InRange(c, 0f, 1f));
            Assert.True(step.ElapsedSeconds > 0);
            Assert.Null(step.Latent);
            Assert.Empty(step.PreviewPng);
        }
        Assert.Equal("fashion-mnist-uvit", g.Result.Model);
        Assert.Equal(ExitMode.Adaptive, g.Result.Settings.ExitMode);
        Assert.Equal(3u, g.Result.Settings.MinLayers);
        Assert.Equal(server.Model.DefaultThreshold, g.Result.Settings.Threshold);
    }

    [Fact]
    public async Task Generate_FullDepth_EveryExitLayerEqualsDepth()
    {
        Generation g = await Generation.RunAsync(server.Client, Request(exit: new ExitPolicy { Mode = ExitMode.FullDepth }));

        Assert.All(g.Steps, s => Assert.All(s.ExitLayers, layer => Assert.Equal(server.Model.Depth, layer)));
        Assert.Equal(g.Result.Stats.LayersFull, g.Result.Stats.LayersExecuted);
        Assert.Equal(0, g.Result.Stats.AccelerationRatio);
        // No uncertainty head runs at full depth: the FLOPs are exactly a plain forward's, certainty is NaN.
        Assert.Equal(g.Result.Stats.FlopsFull, g.Result.Stats.FlopsExecuted, 1e-6 * g.Result.Stats.FlopsFull);
        Assert.All(g.Steps, s => Assert.All(s.Certainties, c => Assert.True(float.IsNaN(c))));
    }

    [Fact]
    public async Task Generate_FixedDepth_EveryExitLayerEqualsFixedDepth()
    {
        Generation g = await Generation.RunAsync(server.Client, Request(exit: new ExitPolicy { Mode = ExitMode.FixedDepth, FixedDepth = 4 }));

        Assert.All(g.Steps, s => Assert.All(s.ExitLayers, layer => Assert.Equal(4u, layer)));
        Assert.Equal(4u * 2 * Steps, g.Result.Stats.LayersExecuted);
    }

    [Fact]
    public async Task Generate_AdaptiveOnSameSeed_ExecutesFewerLayersThanFullDepth()
    {
        Generation full = await Generation.RunAsync(server.Client, Request(seed: 77, exit: new ExitPolicy { Mode = ExitMode.FullDepth }));
        Generation adaptive = await Generation.RunAsync(server.Client, Request(seed: 77, exit: new ExitPolicy { Mode = ExitMode.Adaptive, MinLayers = 1 }));
        if (adaptive.Result.Stats.LayersExecuted == full.Result.Stats.LayersExecuted)
        {
            // The model's default threshold is never reached (an untrained model): measure the certainty at
            // layer 1 on the first step (a tiny threshold makes every image exit there and report it), then ask
            // ADAPTIVE to exit at that certainty. The first step sees the same noise (same seed), so it must
            // leave at layer 1 there at least.
            Generation probe = await Generation.RunAsync(server.Client, Request(seed: 77, steps: 1, exit: new ExitPolicy { Mode = ExitMode.Adaptive, Threshold = 1e-6f, MinLayers = 1 }));
            Assert.All(probe.Steps[0].ExitLayers, layer => Assert.Equal(1u, layer));
            float threshold = probe.Steps[0].Certainties.Min() * 0.9999f;
            Assert.True(threshold is > 0f and <= 1f, $"measured certainties {string.Join(", ", probe.Steps[0].Certainties)}");
            adaptive = await Generation.RunAsync(server.Client, Request(seed: 77, exit: new ExitPolicy { Mode = ExitMode.Adaptive, Threshold = threshold, MinLayers = 1 }));
            Assert.All(adaptive.Steps[0].ExitLayers, layer => Assert.Equal(1u, layer));
        }

        Assert.Equal(full.Result.Stats.LayersFull, adaptive.Result.Stats.LayersFull);
        Assert.True(adaptive.Result.Stats.LayersExecuted < full.Result.Stats.LayersExecuted,
            $"adaptive ran {adaptive.Result.Stats.LayersExecuted} layers, full depth {full.Result.Stats.LayersExecuted}");
        Assert.True(adaptive.Result.Stats.AccelerationRatio > 0);
        Assert.All(adaptive.Steps, s => Assert.All(s.Certainties, c => Assert.InRange(c, 0f, 1f)));
    }

    [Theory]
    [InlineData(LatentEncoding.Unspecified, DType.Float32, 4)]
    [InlineData(LatentEncoding.Float32, DType.Float32, 4)]
    [InlineData(LatentEncoding.Float16, DType.Float16, 2)]
    public async Task Generate_LatentEncoding_LatentHasShapeDtypeAndByteLength(LatentEncoding encoding, DType dtype, int bytesPerValue)
    {
        Generation g = await Generation.RunAsync(server.Client, Request(stream: new StreamOptions { LatentEncoding = encoding }));

        ModelInfo m = server.Model;
        long values = 2L * m.Channels * m.Height * m.Width;
        Assert.All(g.Steps, s =>
        {
            Assert.NotNull(s.Latent);
            Assert.Equal([2L, m.Channels, m.Height, m.Width], s.Latent.Shape);
            Assert.Equal(dtype, s.Latent.Dtype);
            Assert.Equal(values * bytesPerValue, s.Latent.Data.Length);
            Assert.All(Decode(s.Latent), v => Assert.True(float.IsFinite(v)));
        });
    }

    [Fact]
    public async Task Generate_Float16Latent_MatchesFloat32LatentOfSameSeed()
    {
        Generation f32 = await Generation.RunAsync(server.Client, Request(seed: 5, stream: new StreamOptions { LatentEncoding = LatentEncoding.Float32 }));
        Generation f16 = await Generation.RunAsync(server.Client, Request(seed: 5, stream: new StreamOptions { LatentEncoding = LatentEncoding.Float16 }));

        float[] a = Decode(f32.Steps[^1].Latent);
        float[] b = Decode(f16.Steps[^1].Latent);
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(Math.Abs(a[i] - b[i]) <= 1e-3f + (Math.Abs(a[i]) * 1e-3f), $"value {i}: {a[i]} vs {b[i]}");
        }
    }

    [Fact]
    public async Task Generate_LatentEveryThreeSteps_SendsLatentOnThoseStepsAndTheLast()
    {
        Generation g = await Generation.RunAsync(server.Client, Request(steps: 7, stream: new StreamOptions { LatentEncoding = LatentEncoding.Float32, LatentEveryNSteps = 3 }));

        bool[] actual = g.Steps.Select(s => s.Latent is not null).ToArray();
        Assert.Equal(7, actual.Length);
        Assert.True(actual[6], "the last step always carries the latent");
        Assert.Equal(2, actual.Take(6).Count(x => x));
    }

    [Fact]
    public async Task Generate_PreviewsEveryTwoSteps_PreviewsDecodeToModelSize()
    {
        Generation g = await Generation.RunAsync(server.Client, Request(stream: new StreamOptions { LatentEncoding = LatentEncoding.None, PreviewEveryNSteps = 2 }));

        int withPreviews = 0;
        foreach (StepUpdate step in g.Steps)
        {
            if (step.PreviewPng.Count == 0)
            {
                continue;
            }
            withPreviews++;
            Assert.Equal(2, step.PreviewPng.Count);
            Assert.All(step.PreviewPng, png => AssertPng(png.ToByteArray()));
        }
        Assert.Equal(3, withPreviews);
        Assert.NotEmpty(g.Steps[^1].PreviewPng);
    }

    [Fact]
    public async Task Generate_PredictedCleanEveryFourSteps_IsTheX0ThePreviewsShowAndTheLastLatent()
    {
        // steps 4 and 6 (the last) carry x0 as a tensor; previews every 2 steps cover those steps too.
        Generation g = await Generation.RunAsync(server.Client, Request(stream: new StreamOptions
        {
            LatentEncoding = LatentEncoding.Float32,
            LatentEveryNSteps = Steps,
            PreviewEveryNSteps = 2,
            PredictedCleanEveryNSteps = 4,
        }));

        Assert.Equal([false, false, false, true, false, true], g.Steps.Select(s => s.PredictedClean is not null));
        foreach (StepUpdate step in g.Steps.Where(s => s.PredictedClean is not null))
        {
            Assert.Equal([2L, 1, 28, 28], step.PredictedClean.Shape);
            Assert.Equal(DType.Float32, step.PredictedClean.Dtype);
            float[] x0 = Decode(step.PredictedClean);
            Assert.All(x0, v => Assert.InRange(v, -1f, 1f));
            // The PNG preview of the same step is this x0 quantised to 8 bits.
            for (int k = 0; k < 2; k++)
            {
                PngFile preview = PngFile.Read(step.PreviewPng[k].ToByteArray());
                for (int p = 0; p < 28 * 28; p++)
                {
                    float expected = (x0[(k * 28 * 28) + p] + 1f) * 127.5f;
                    Assert.InRange(preview.Gray(p % 28, p / 28), expected - 0.51f, expected + 0.51f);
                }
            }
        }
        // DDIM's last step lands on its x0 prediction: the last x0 is the last latent, bit for bit.
        Assert.Equal(Decode(g.Steps[^1].Latent), Decode(g.Steps[^1].PredictedClean));
        Assert.NotEqual(Decode(g.Steps[3].PredictedClean), Decode(g.Steps[^1].PredictedClean));
    }

    [Fact]
    public async Task Generate_PredictedCleanWithoutLatents_IsFloat32AndLatentsStayOff()
    {
        Generation g = await Generation.RunAsync(server.Client, Request(images: 1, stream: new StreamOptions
        {
            LatentEncoding = LatentEncoding.None,
            PredictedCleanEveryNSteps = 1,
        }));

        Assert.All(g.Steps, s =>
        {
            Assert.Null(s.Latent);
            Assert.Empty(s.PreviewPng);
            Assert.Equal(DType.Float32, s.PredictedClean.Dtype);
            Assert.Equal([1L, 1, 28, 28], s.PredictedClean.Shape);
        });
    }

    [Fact]
    public async Task Generate_Result_PngsDecodeToModelSizeWithSeedsFromFirstSeed()
    {
        Generation g = await Generation.RunAsync(server.Client, Request(images: 2, seed: 1000));

        Assert.Equal(2, g.Result.Images.Count);
        Assert.Equal([1000ul, 1001ul], g.Result.Images.Select(i => i.Seed));
        Assert.All(g.Result.Images, image => AssertPng(image.Png.ToByteArray()));
        Assert.Equal(1000ul, g.Result.Settings.Seed);
    }

    [Fact]
    public async Task Generate_SameSeedTwice_SameImages()
    {
        Generation a = await Generation.RunAsync(server.Client, Request(images: 1, seed: 99));
        Generation b = await Generation.RunAsync(server.Client, Request(images: 1, seed: 99));
        Generation c = await Generation.RunAsync(server.Client, Request(images: 1, seed: 100));

        Assert.Equal(a.Result.Images[0].Png, b.Result.Images[0].Png);
        Assert.NotEqual(a.Result.Images[0].Png, c.Result.Images[0].Png);
    }

    [Fact]
    public async Task Generate_SeedZero_ServerChoosesAndReportsSeeds()
    {
        Generation g = await Generation.RunAsync(server.Client, Request(images: 2, seed: 0, steps: 2));

        ulong seed = g.Result.Settings.Seed;
        Assert.NotEqual(0ul, seed);
        Assert.Equal([seed, seed + 1], g.Result.Images.Select(i => i.Seed));
    }

    [Fact]
    public async Task Generate_Result_StatsEqualSumsOfStepEvents()
    {
        Generation g = await Generation.RunAsync(server.Client, Request(images: 2, exit: new ExitPolicy { Mode = ExitMode.Adaptive, MinLayers = 2 }));

        ComputeStats stats = g.Result.Stats;
        ulong executed = 0;
        foreach (StepUpdate step in g.Steps)
        {
            foreach (uint layer in step.ExitLayers)
            {
                executed += layer;
            }
        }
        Assert.Equal(executed, stats.LayersExecuted);
        Assert.Equal(Steps * 2 * server.Model.Depth, stats.LayersFull);
        Assert.Equal(Steps, stats.Steps);
        Assert.Equal(1.0 - ((double)executed / stats.LayersFull), stats.AccelerationRatio, 9);
        // FLOPs count every network row: two per image when the (model's default) guidance applies.
        double rowsPerImage = g.Result.Settings.GuidanceScale == 1f ? 1 : 2;
        Assert.Equal(Steps * 2 * rowsPerImage * server.Model.FlopsPerForward, stats.FlopsFull, 1e-6 * stats.FlopsFull);
        Assert.True(stats.FlopsExecuted > 0);
        Assert.True(stats.WallSeconds >= stats.QueueSeconds);
        Assert.True(stats.WallSeconds >= g.Steps[^1].ElapsedSeconds);
        for (int k = 0; k < 2; k++)
        {
            double mean = g.Steps.Average(s => (double)s.ExitLayers[k]);
            Assert.Equal(mean, g.Result.Images[k].MeanExitLayer, 4);
        }
    }

    private void AssertPng(byte[] png)
    {
        Assert.Equal(0x89, png[0]);
        Assert.Equal((byte)'P', png[1]);
        PngFile image = PngFile.Read(png); // every pixel decodes
        Assert.Equal((0, 8), (image.ColorType, image.BitDepth)); // 8-bit grayscale, as the 1-channel model's images are
        Assert.Equal((int)server.Model.Width, image.Width);
        Assert.Equal((int)server.Model.Height, image.Height);
    }

    internal static float[] Decode(Tensor tensor)
    {
        byte[] data = tensor.Data.ToByteArray();
        if (tensor.Dtype == DType.Float16)
        {
            float[] values = new float[data.Length / 2];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data.AsSpan(2 * i));
            }
            return values;
        }
        float[] floats = new float[data.Length / 4];
        for (int i = 0; i < floats.Length; i++)
        {
            floats[i] = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(4 * i));
        }
        return floats;
    }
}
