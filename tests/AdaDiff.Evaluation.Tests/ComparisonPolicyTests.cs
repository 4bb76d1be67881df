using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Exits;
using AdaDiff.Engine.Scheduling;
using AdaDiff.Engine.Sampling;
using AdaDiff.Evaluation.Internal;
using AdaDiff.Evaluation.Internal.Policies;

namespace AdaDiff.Evaluation.Tests;

/// <summary>
/// The evaluation's comparison-only exit policies (the per-batch mean decision and the per-step depth schedule) through
/// the evaluation's own generation path, batched as it batches them, against a reference written here from their
/// definitions: each job sampled alone, one backend call per layer, the whole job leaving at the layer the rule names.
/// The backends give a row the same bytes alone or in a batch and through fused or per-stage calls, so the two must
/// agree bit for bit, exits and images.
/// </summary>
public sealed class ComparisonPolicyTests : IDisposable
{
    private const int Depth = 5;
    private const int MinLayers = 2;
    private const int Samples = 20;
    private const int Steps = 4;
    private const int JobImages = 2; // 10 jobs of 2 images (one per class), 4 rows each with guidance
    private const int MaxBatchRows = 20; // 5 jobs share a pass: groups that exit and groups that go on
    private const ulong Seed = 11;

    private static readonly EvalOptions Options = new()
    {
        Samples = Samples, Steps = Steps, Sampler = SamplerKind.Ddim, JobImages = JobImages, MaxBatchRows = MaxBatchRows,
    };

    private readonly string root = Path.Combine(Path.GetTempPath(), $"adadiff-eval-policies-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData(EvalOptions.BackendOnnx)]
    [InlineData(EvalOptions.BackendTorchSharp)]
    public async Task PerBatchDecision_ExitsEachJobOnTheMeanCertaintyOfItsImages_AsTheReference(string backendName)
    {
        using IDenoiserBackend backend = Load(backendName);
        float guidance = Options.GuidanceFor(backend.Manifest);
        float threshold = MedianJobCertainty(backend, guidance);
        var plan = new Plan(Options, backend.Manifest, [threshold], MinLayers);

        GeneratedSet set = await Generate(backend, plan.Adaptive(SamplerKind.Ddim, Steps, Samples, threshold, perBatch: true));
        (float[] images, long[,] exits) = Reference(backend, guidance, (_, batch, n, guided) => PerBatchExit(batch, n, guided, threshold));

        AssertSame(images, exits, set);
        Assert.True(DistinctExitLayers(exits) >= 2, "the threshold should split the jobs, or the test shows nothing"); // the median does
        // Per image, its exit layer averaged over the steps: a job's images leave together, and their mean is the set's.
        Assert.Equal(set.MeanLayers, set.ImageMeanLayers.Average(), 9);
        for (int i = 0; i < Samples; i += JobImages)
        {
            Assert.Equal(set.ImageMeanLayers[i], set.ImageMeanLayers[i + 1]);
        }
        Assert.True(set.ImageMeanLayers.Distinct().Count() >= 2);
    }

    [Theory]
    [InlineData(EvalOptions.BackendOnnx)]
    [InlineData(EvalOptions.BackendTorchSharp)]
    public async Task DepthSchedule_ExitsEveryImageOfAStepAtThatStepsDepth_AsTheReference(string backendName)
    {
        using IDenoiserBackend backend = Load(backendName);
        float guidance = Options.GuidanceFor(backend.Manifest);
        int[] depths = [Depth, 1, 3, 2]; // the deepest first, the shallowest next: every step differs from the one before
        var plan = new Plan(Options, backend.Manifest, [0.5f], MinLayers);

        GeneratedSet set = await Generate(backend, plan.Schedule(depths, 0.5f));
        (float[] images, long[,] exits) = Reference(backend, guidance, (step, batch, _, _) =>
        {
            batch.RunLayers(depths[step]);
            return depths[step];
        });

        AssertSame(images, exits, set);
        for (int s = 0; s < Steps; s++)
        {
            Assert.Equal(Samples, exits[s, depths[s] - 1]);
        }
    }

    [Fact]
    public void PerBatchDecision_SameBoundsAsPerSample_WholeGroupOnTheMean()
    {
        var policy = new PerBatchExitPolicy(0.5f, MinLayers);
        var exits = new bool[3];

        Assert.Equal(new AdaptiveExitPolicy(0.5f, MinLayers).BoundsAt(2, Depth), policy.BoundsAt(2, Depth));
        policy.SelectExits(0, MinLayers, [0.2f, 0.6f, 0.8f], exits); // mean 0.533: all pass, though one image alone would not
        Assert.Equal([true, true, true], exits);
        policy.SelectExits(0, MinLayers, [0.9f, 0.3f, 0.2f], exits); // mean 0.467: none, though one image alone would
        Assert.Equal([false, false, false], exits);
        Assert.Equal("MinLayers", new PerBatchExitPolicy(0.5f, Depth + 1).Check(Depth, Steps)?.Field);
    }

    [Fact]
    public async Task DepthSchedule_OfAnotherLengthOrOutsideTheNetwork_RefusedNamingTheField()
    {
        string package = Path.Combine(root, "tiny");
        EndToEndTests.WriteTinyPackage(package, depth: Depth);
        using var backend = TorchSharpBackend.Load(package, new TorchSharpBackendOptions { Threads = TorchThreads.Pinned });
        await using var scheduler = new GenerationScheduler(backend, new SchedulerOptions());
        GenerationRequest request = Requests(backend.Manifest, 1f).First();

        ArgumentException shorter = Assert.Throws<ArgumentException>(() => scheduler.TryEnqueue(request, new DepthScheduleExitPolicy([2, 2, 3]), default));
        ArgumentException deeper = Assert.Throws<ArgumentException>(() => scheduler.TryEnqueue(request, new DepthScheduleExitPolicy([2, 2, 3, Depth + 1]), default));

        Assert.Equal("Exit.DepthSchedule", shorter.ParamName);
        Assert.Contains($"3 depths for {Steps} steps", shorter.Message, StringComparison.Ordinal);
        Assert.Equal("Exit.DepthSchedule", deeper.ParamName);
        Assert.Contains($"each in 1..{Depth}", deeper.Message, StringComparison.Ordinal);
    }

    private IDenoiserBackend Load(string backendName)
    {
        string package = Path.Combine(root, "tiny");
        EndToEndTests.WriteTinyPackage(package, depth: Depth);
        return backendName == EvalOptions.BackendTorchSharp
            ? TorchSharpBackend.Load(package, new TorchSharpBackendOptions { Threads = TorchThreads.Pinned })
            : OnnxBackend.Load(package, new OnnxBackendOptions { Threads = 1, ReexportWhenStale = true });
    }

    private static async Task<GeneratedSet> Generate(IDenoiserBackend backend, GenerationSpec spec)
    {
        var progress = new Progress(TextWriter.Null, (long)Samples * Steps);
        progress.Stage(spec.Id); // as the evaluation does before it generates
        return await GeneratedSet.GenerateAsync(backend, spec, Seed, JobImages, MaxBatchRows, progress, CancellationToken.None);
    }

    private static void AssertSame(float[] images, long[,] exits, GeneratedSet set)
    {
        Assert.Equal(exits, set.ExitCounts);
        Assert.Equal(images.Length, set.Images.Length);
        for (int i = 0; i < images.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(images[i]) != BitConverter.SingleToInt32Bits(set.Images[i]))
            {
                Assert.Fail($"image value {i} differs: reference {images[i]:R}, evaluation {set.Images[i]:R}");
            }
        }
    }

    private static int DistinctExitLayers(long[,] exits)
    {
        var layers = new HashSet<int>();
        for (int s = 0; s < exits.GetLength(0); s++)
        {
            for (int l = 0; l < exits.GetLength(1); l++)
            {
                if (exits[s, l] > 0)
                {
                    layers.Add(l + 1);
                }
            }
        }
        return layers.Count;
    }

    /// <summary>The per-batch rule: the first layer from MinLayers on whose mean image certainty (the lower of a guidance pair's rows) passes.</summary>
    private static int PerBatchExit(IDenoiserBatch batch, int images, bool guided, float threshold)
    {
        var certainty = new float[batch.Count];
        for (int layer = 1; ; layer++)
        {
            batch.RunLayerWithCertainty(certainty);
            if (layer == Depth)
            {
                return layer;
            }
            if (layer >= MinLayers && MeanImageCertainty(certainty, images, guided) >= threshold)
            {
                return layer;
            }
        }
    }

    private static float MeanImageCertainty(float[] certainty, int images, bool guided)
    {
        double sum = 0;
        for (int k = 0; k < images; k++)
        {
            sum += guided ? MathF.Min(certainty[2 * k], certainty[(2 * k) + 1]) : certainty[k];
        }
        return (float)(sum / images);
    }

    /// <summary>The median over jobs of the first step's mean certainty at every layer an exit may happen at: a threshold some jobs pass and some do not.</summary>
    private static float MedianJobCertainty(IDenoiserBackend backend, float guidance)
    {
        var values = new List<float>();
        foreach (GenerationRequest request in Requests(backend.Manifest, guidance))
        {
            Rows(backend.Manifest, request, Timestep(backend.Manifest, request, 0), Latents(backend.Manifest, request), out float[] latents, out float[] timesteps, out int[] labels);
            using IDenoiserBatch batch = backend.Begin(latents, timesteps, labels);
            var certainty = new float[batch.Count];
            for (int layer = 1; layer < Depth; layer++)
            {
                batch.RunLayerWithCertainty(certainty);
                if (layer >= MinLayers)
                {
                    values.Add(MeanImageCertainty(certainty, request.NumImages, request.UsesGuidance));
                }
            }
        }
        values.Sort();
        return values[values.Count / 2];
    }

    /// <summary>
    /// Samples every job of the evaluation's request split alone; <paramref name="exit"/> runs a step's layers on the
    /// job's rows and returns the layer at which the whole job leaves. Returns the images in canonical order and the
    /// exits counted per step and layer.
    /// </summary>
    private static (float[] Images, long[,] Exits) Reference(IDenoiserBackend backend, float guidance, Func<int, IDenoiserBatch, int, bool, int> exit)
    {
        ModelManifest m = backend.Manifest;
        int size = m.ImageSize;
        var images = new List<float>();
        var exits = new long[Steps, Depth];
        var schedule = new NoiseSchedule(m.NoiseSchedule);
        foreach (GenerationRequest request in Requests(m, guidance))
        {
            int n = request.NumImages;
            bool guided = request.UsesGuidance;
            float[] x = Latents(m, request);
            var random = new ImageRandom[n];
            for (int k = 0; k < n; k++)
            {
                random[k] = new ImageRandom(request.Seed + (ulong)k);
                random[k].FillGaussian(new float[size]); // x_T was drawn from this generator first
            }
            Sampler sampler = Sampler.Create(request.Sampler, schedule, request.Steps, n * size);
            var eps = new float[n * size];
            var noise = new float[n * size];
            var x0 = new float[n * size];
            for (int step = 0; step < Steps; step++)
            {
                Rows(m, request, sampler.Timesteps[step], x, out float[] latents, out float[] timesteps, out int[] labels);
                var rowEps = new float[latents.Length];
                using (IDenoiserBatch batch = backend.Begin(latents, timesteps, labels))
                {
                    int layer = exit(step, batch, n, guided);
                    exits[step, layer - 1] += n;
                    batch.Predict([.. Enumerable.Range(0, batch.Count)], rowEps);
                }
                for (int k = 0; k < n; k++)
                {
                    Span<float> e = eps.AsSpan(k * size, size);
                    if (guided)
                    {
                        ReadOnlySpan<float> conditional = rowEps.AsSpan(2 * k * size, size);
                        ReadOnlySpan<float> unconditional = rowEps.AsSpan(((2 * k) + 1) * size, size);
                        for (int i = 0; i < size; i++)
                        {
                            e[i] = unconditional[i] + (request.GuidanceScale * (conditional[i] - unconditional[i]));
                        }
                    }
                    else
                    {
                        rowEps.AsSpan(k * size, size).CopyTo(e);
                    }
                }
                if (sampler.NeedsNoise(step))
                {
                    for (int k = 0; k < n; k++)
                    {
                        random[k].FillGaussian(noise.AsSpan(k * size, size));
                    }
                }
                sampler.Step(step, x, eps, noise, x0);
            }
            images.AddRange(x.Select(v => Math.Clamp(v, -1f, 1f)));
        }
        return ([.. images], exits);
    }

    /// <summary>The evaluation's jobs for a conditional run: per class, chunks of <see cref="JobImages"/> (see <see cref="GeneratedSet.GenerateAsync"/>).</summary>
    private static IEnumerable<GenerationRequest> Requests(ModelManifest m, float guidance)
    {
        for (int c = 0; c < m.NumClasses; c++)
        {
            int perClass = (Samples / m.NumClasses) + (c < Samples % m.NumClasses ? 1 : 0);
            for (int k = 0; k < perClass; k += JobImages)
            {
                yield return new GenerationRequest
                {
                    NumImages = Math.Min(JobImages, perClass - k),
                    Seed = GeneratedSet.SeedOf(Seed, c, k),
                    Sampler = SamplerKind.Ddim,
                    Steps = Steps,
                    ClassLabel = c,
                    GuidanceScale = guidance,
                    Exit = ExitPolicySettings.Full,
                };
            }
        }
    }

    private static float[] Latents(ModelManifest m, GenerationRequest request)
    {
        var x = new float[request.NumImages * m.ImageSize];
        for (int k = 0; k < request.NumImages; k++)
        {
            new ImageRandom(request.Seed + (ulong)k).FillGaussian(x.AsSpan(k * m.ImageSize, m.ImageSize));
        }
        return x;
    }

    private static float Timestep(ModelManifest m, GenerationRequest request, int step) =>
        Sampler.Create(request.Sampler, new NoiseSchedule(m.NoiseSchedule), request.Steps, request.NumImages * m.ImageSize).Timesteps[step];

    /// <summary>The job's network rows: each image's latent with its class, then (with guidance) again with the null class.</summary>
    private static void Rows(ModelManifest m, GenerationRequest request, float timestep, float[] x, out float[] latents, out float[] timesteps, out int[] labels)
    {
        int perImage = request.UsesGuidance ? 2 : 1;
        int rows = request.NumImages * perImage;
        int size = m.ImageSize;
        latents = new float[rows * size];
        timesteps = new float[rows];
        labels = new int[rows];
        Array.Fill(timesteps, timestep);
        for (int k = 0; k < request.NumImages; k++)
        {
            for (int r = 0; r < perImage; r++)
            {
                int row = (k * perImage) + r;
                x.AsSpan(k * size, size).CopyTo(latents.AsSpan(row * size, size));
                labels[row] = r == 0 ? request.ClassLabel!.Value : m.NullClass;
            }
        }
    }
}
