using System.Diagnostics;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Exits;
using AdaDiff.Engine.Scheduling;

namespace AdaDiff.Evaluation.Internal;

/// <summary>
/// What to generate: a sampler, an exit policy, and images per class (or unconditional). <see cref="Exit"/> is the
/// served policy; <see cref="Comparison"/>, when set, is a comparison-only policy that decides the exits instead
/// (<see cref="Exit"/> then names its family for the report).
/// </summary>
internal sealed record GenerationSpec(
    string Id,
    string Group,
    string Package,
    SamplerKind Sampler,
    int Steps,
    int Samples,
    ExitPolicySettings Exit,
    bool Conditional,
    float Guidance)
{
    /// <summary>A policy the contract does not offer, run in place of <see cref="Exit"/>; null for the served one.</summary>
    public IExitPolicy? Comparison { get; init; }
}

/// <summary>
/// The images of one configuration in canonical order (class-major, then index within the class), their
/// requested labels, the engine's compute totals and the exit layers per step.
/// </summary>
internal sealed class GeneratedSet
{
    private GeneratedSet(GenerationSpec spec, float[] images, int[] labels, ComputeTotals compute, int[] timesteps, long[,] exitCounts, double[] imageMeanLayers, double wallSeconds)
    {
        Spec = spec;
        Images = images;
        Labels = labels;
        Compute = compute;
        Timesteps = timesteps;
        ExitCounts = exitCounts;
        ImageMeanLayers = imageMeanLayers;
        WallSeconds = wallSeconds;
    }

    public GenerationSpec Spec { get; }

    /// <summary>[Samples, C, H, W] in [-1, 1].</summary>
    public float[] Images { get; }

    /// <summary>Requested class per image, or -1 when unconditional.</summary>
    public int[] Labels { get; }

    public ComputeTotals Compute { get; }

    /// <summary>Timestep of each step.</summary>
    public int[] Timesteps { get; }

    /// <summary>[steps, depth]: images exiting at layer l + 1 at each step.</summary>
    public long[,] ExitCounts { get; }

    /// <summary>Mean exit layer of each image over its steps, in canonical order.</summary>
    public double[] ImageMeanLayers { get; }

    public double WallSeconds { get; }

    /// <summary>Mean layers executed per image-step.</summary>
    public double MeanLayers => Compute.LayersFull == 0 ? 0 : (double)Compute.LayersExecuted / Compute.LayersFull * ExitCounts.GetLength(1);

    /// <summary>
    /// Image k of class c gets seed <paramref name="seed"/> + c·1,000,000 + k (unconditional images use class slot 10),
    /// so every configuration with the same seed starts from the same noise.
    /// </summary>
    public static ulong SeedOf(ulong seed, int classSlot, int k) => seed + ((ulong)classSlot * 1_000_000UL) + (ulong)k;

    /// <summary>Generates <paramref name="spec"/> on <paramref name="backend"/>, jobs of at most <paramref name="jobImages"/> images batched together.</summary>
    public static async Task<GeneratedSet> GenerateAsync(
        IDenoiserBackend backend, GenerationSpec spec, ulong seed, int jobImages, int maxBatchRows, Progress progress, CancellationToken cancellationToken)
    {
        ModelManifest manifest = backend.Manifest;
        int classes = spec.Conditional ? manifest.NumClasses : 1;
        var requests = new List<(GenerationRequest Request, int Offset)>();
        var labels = new int[spec.Samples];
        int offset = 0;
        for (int c = 0; c < classes; c++)
        {
            int perClass = (spec.Samples / classes) + (c < spec.Samples % classes ? 1 : 0);
            for (int k = 0; k < perClass; k += jobImages)
            {
                int n = Math.Min(jobImages, perClass - k);
                var request = new GenerationRequest
                {
                    NumImages = n,
                    Seed = SeedOf(seed, spec.Conditional ? c : manifest.NumClasses, k),
                    Sampler = spec.Sampler,
                    Steps = spec.Steps,
                    ClassLabel = spec.Conditional ? c : null,
                    GuidanceScale = spec.Conditional ? spec.Guidance : 1f,
                    Exit = spec.Exit,
                };
                requests.Add((request, offset));
                labels.AsSpan(offset, n).Fill(spec.Conditional ? c : -1);
                offset += n;
            }
        }
        return await RunAsync(backend, spec, requests, labels, maxBatchRows, progress, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="requests"/> (each with the offset of its first image in the set; together they make
    /// <see cref="GenerationSpec.Samples"/> images) on <paramref name="backend"/>, batched together, and collects
    /// their images, exits and compute: the generation behind every configuration, class-conditional or prompted.
    /// </summary>
    public static async Task<GeneratedSet> RunAsync(
        IDenoiserBackend backend, GenerationSpec spec, IReadOnlyList<(GenerationRequest Request, int Offset)> requests, int[] labels,
        int maxBatchRows, Progress progress, CancellationToken cancellationToken)
    {
        ModelManifest manifest = backend.Manifest;
        int rowsPerJob = requests.Count == 0 ? 1 : requests.Max(r => r.Request.RowsPerStep);
        var options = new SchedulerOptions
        {
            MaxBatchRows = maxBatchRows,
            MaxActiveJobs = Math.Max(1, maxBatchRows / rowsPerJob),
            MaxQueuedJobs = Math.Max(1, requests.Count),
        };
        var clock = Stopwatch.StartNew();
        await using var scheduler = new GenerationScheduler(backend, options);
        var jobs = new List<GenerationJob>(requests.Count);
        foreach ((GenerationRequest request, _) in requests)
        {
            GenerationJob? job = spec.Comparison is { } policy ? scheduler.TryEnqueue(request, policy, cancellationToken) : scheduler.TryEnqueue(request, cancellationToken);
            jobs.Add(job ?? throw new InvalidOperationException("the scheduler refused a job"));
        }
        var results = await Task.WhenAll(jobs.Select(job => CollectAsync(job, manifest.Depth, progress, cancellationToken)));
        double wall = clock.Elapsed.TotalSeconds;
        foreach (GenerationJob job in jobs)
        {
            job.Dispose();
        }

        var images = new float[spec.Samples * manifest.ImageSize];
        var exitCounts = new long[spec.Steps, manifest.Depth];
        var imageMeanLayers = new double[spec.Samples];
        int[] timesteps = results.Length > 0 ? results[0].Timesteps : [];
        var compute = default(ComputeTotals);
        for (int j = 0; j < results.Length; j++)
        {
            (float[] jobOutput, int[] _, long[,] counts, double[] layerSums, ComputeTotals jobCompute) = results[j];
            jobOutput.CopyTo(images.AsSpan(requests[j].Offset * manifest.ImageSize));
            for (int k = 0; k < layerSums.Length; k++)
            {
                imageMeanLayers[requests[j].Offset + k] = layerSums[k] / spec.Steps;
            }
            compute += jobCompute;
            for (int s = 0; s < spec.Steps; s++)
            {
                for (int l = 0; l < manifest.Depth; l++)
                {
                    exitCounts[s, l] += counts[s, l];
                }
            }
        }
        return new GeneratedSet(spec, images, labels, compute, timesteps, exitCounts, imageMeanLayers, wall);
    }

    private static async Task<(float[] Images, int[] Timesteps, long[,] ExitCounts, double[] LayerSums, ComputeTotals Compute)> CollectAsync(
        GenerationJob job, int depth, Progress progress, CancellationToken cancellationToken)
    {
        int steps = job.Request.Steps;
        var counts = new long[steps, depth];
        var layerSums = new double[job.Request.NumImages]; // exit layers of each of the job's images, summed over steps
        var timesteps = new int[steps];
        await foreach (GenerationEvent e in job.Events.ReadAllAsync(cancellationToken))
        {
            switch (e)
            {
                case StepCompleted step:
                    timesteps[step.StepIndex] = step.Timestep;
                    for (int k = 0; k < step.ExitLayers.Length; k++)
                    {
                        counts[step.StepIndex, step.ExitLayers[k] - 1]++;
                        layerSums[k] += step.ExitLayers[k];
                    }
                    progress.Add(step.ExitLayers.Length);
                    break;
                case GenerationCompleted done:
                    return (done.Images, timesteps, counts, layerSums, done.Compute);
            }
        }
        throw new InvalidOperationException($"job {job.Id} ended without a result");
    }
}
