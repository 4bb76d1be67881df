using AdaDiff.Client;
using AdaDiff.Grpc.V1;
using Grpc.Core;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// The server path's load: <c>streams</c> concurrent tasks, each making its calls back to back through the C# client
/// library (one <see cref="AdaDiffClient"/> per server, no retries: a refused call is an error of the measurement). A
/// call asks for one image, DDIM, guidance and the exit mode of the configuration, and every step's FLOAT32 latent
/// (and, for the previews configuration, every step's x̂₀ PNG); it counts only when every step carried them and the
/// result its image.
/// </summary>
internal static class LoadGenerator
{
    public static GenerateRequest Request(BenchConfig config, BenchSettings settings, ulong seed) => new()
    {
        NumImages = 1,
        Seed = seed,
        Sampler = Sampler.Ddim,
        Steps = (uint)settings.Steps,
        ClassLabel = (uint)settings.ClassLabel,
        GuidanceScale = settings.Guidance,
        // threshold and min layers left at 0: the model's defaults, what the in-process requests resolve explicitly
        ExitPolicy = new ExitPolicy { Mode = config.Mode == "full" ? ExitMode.FullDepth : ExitMode.Adaptive },
        Stream = new StreamOptions
        {
            LatentEveryNSteps = 1,
            LatentEncoding = LatentEncoding.Float32,
            PreviewEveryNSteps = config.Previews ? 1u : 0u,
        },
    };

    public static Task<Measurement> RunAsync(
        AdaDiffClient client, BenchConfig config, BenchSettings settings, int imageSize, int round, ulong seedBase, Func<double> loadAverage, CancellationToken cancel) =>
        CallRecorder.MeasureAsync(config, settings, round, seedBase, loadAverage,
            (seed, recorder) => CallAsync(client, Request(config, settings, seed), settings.Steps, imageSize, recorder, cancel), cancel);

    private static async Task CallAsync(AdaDiffClient client, GenerateRequest request, int steps, int imageSize, CallRecorder recorder, CancellationToken cancel)
    {
        var timing = new CallTiming();
        try
        {
            bool done = false;
            double latency = double.NaN;
            await foreach (GenerationEvent e in client.GenerateAsync(request, TimeSpan.FromMinutes(10), cancel))
            {
                switch (e)
                {
                    case StepProgress progress:
                        StepUpdate update = progress.Update;
                        if (update.Latent is null || update.Latent.Data.Length != imageSize * sizeof(float)
                            || (request.Stream.PreviewEveryNSteps > 0 && update.PreviewPng.Count != 1))
                        {
                            recorder.Failed($"step {update.StepIndex} lacked its latent or preview");
                            return;
                        }
                        long executed = 0;
                        foreach (uint layer in update.ExitLayers)
                        {
                            executed += layer;
                        }
                        timing.Step(executed, update.FullDepth * (long)update.ExitLayers.Count);
                        break;
                    case GenerationCompleted completed:
                        latency = timing.Elapsed(); // the result's arrival, not the stream's close after it
                        done = completed.Result.Images.Count == 1;
                        break;
                }
            }
            if (!done || timing.Steps != steps)
            {
                recorder.Failed($"the call ended after {timing.Steps} of {steps} steps {(done ? "with" : "without")} its image");
                return;
            }
            recorder.Completed(timing, 1, latency);
        }
        catch (RpcException e) when (!cancel.IsCancellationRequested)
        {
            recorder.Failed($"{e.StatusCode}: {e.Status.Detail}");
        }
        catch (Exception e) when (e is HttpRequestException or IOException && !cancel.IsCancellationRequested)
        {
            recorder.Failed($"{e.GetType().Name}: {e.Message}");
        }
    }
}
