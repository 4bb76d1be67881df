using System.Diagnostics;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Scheduling;

namespace AdaDiff.Benchmarks;

/// <summary>The sampling runs every measurement uses: DDIM, class 3, seed 7, the given guidance and exit policy.</summary>
internal static class Workloads
{
    public static GenerationRequest Request(int batch, int steps, float guidance, ExitPolicySettings exit) => new()
    {
        NumImages = batch,
        Seed = 7,
        Sampler = SamplerKind.Ddim,
        Steps = steps,
        ClassLabel = 3,
        GuidanceScale = guidance,
        Exit = exit,
    };

    /// <summary>Images per second over <paramref name="generations"/> runs of <paramref name="request"/>, and their mean depth.</summary>
    public static async Task<(double ImagesPerSecond, double MeanLayers)> ImagesPerSecond(IDenoiserBackend backend, GenerationRequest request, int generations, int depth)
    {
        long start = Stopwatch.GetTimestamp();
        long executed = 0, full = 0;
        for (int g = 0; g < generations; g++)
        {
            GenerationRun run = await GenerationRunner.RunAsync(backend, request);
            executed += run.Completed.Compute.LayersExecuted;
            full += run.Completed.Compute.LayersFull;
        }
        return (request.NumImages * generations / Stopwatch.GetElapsedTime(start).TotalSeconds, (double)executed / full * depth);
    }
}
