using System.Collections.Concurrent;
using AdaDiff.ServingBenchmarks;

namespace AdaDiff.ServingBenchmarks.Tests;

public sealed class CallRecorderTests
{
    [Fact]
    public async Task MeasureAsync_EveryStreamCallsInTurn_WithItsOwnSeeds_IntoOneMeasurement()
    {
        BenchSettings settings = Synthetic.Result(Synthetic.Options(quick: true), Synthetic.Plausible).Settings;
        var config = new BenchConfig { Path = BenchPath.InProcess, Backend = "onnxruntime", Mode = "adaptive", Streams = 3, CallsPerStream = 4 };
        var seeds = new ConcurrentBag<ulong>();

        Measurement m = await CallRecorder.MeasureAsync(config, settings, round: 1, seedBase: 100, () => 0.5, (seed, recorder) =>
        {
            seeds.Add(seed);
            if (seed == 105)
            {
                recorder.Failed("seed 105 fails");
            }
            else
            {
                recorder.Completed(new CallTiming(), images: 2, latencySeconds: 0.25);
            }
            return Task.CompletedTask;
        }, CancellationToken.None);

        // stream s, call k: seed 100 + 4s + k, each once
        Assert.Equal(Enumerable.Range(100, 12).Select(s => (ulong)s), seeds.Order());
        Assert.Equal((config.Key, 1, 22, 1, "seed 105 fails", 0.5), (m.Config, m.Round, m.Images, m.Errors, m.FirstError, m.LoadAverage));
        Assert.Equal(0.25, m.LatencyP50);
    }
}
