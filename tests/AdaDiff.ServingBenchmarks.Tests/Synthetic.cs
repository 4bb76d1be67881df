using AdaDiff.ServingBenchmarks;

namespace AdaDiff.ServingBenchmarks.Tests;

/// <summary>Result sets made up for the tests: every configuration of a plan, figures from a function of (configuration, round).</summary>
internal static class Synthetic
{
    public static BenchOptions Options(bool quick = false, IReadOnlyList<int>? concurrency = null, int? rounds = null) =>
        new() { Quick = quick, Concurrency = concurrency, Rounds = rounds };

    public static BenchResult Result(BenchOptions options, Func<BenchConfig, int, double> imagesPerSecond, Func<BenchConfig, int, int>? errors = null,
        Func<int, double>? peak = null, Func<string, int, double>? passGflops = null, bool cpu = false)
    {
        IReadOnlyList<BenchConfig> configs = BenchPlan.Configs(options);
        var measurements = new List<Measurement>();
        var probes = new List<ProbeMeasurement>();
        for (int round = 0; round < options.EffectiveRounds; round++)
        {
            foreach (BenchConfig c in BenchPlan.Order(configs, round))
            {
                double ips = imagesPerSecond(c, round);
                bool served = c.Path != BenchPath.PyTorch;
                measurements.Add(new Measurement
                {
                    Config = c.Key,
                    Round = round,
                    WallSeconds = c.Images / ips,
                    Images = c.Images,
                    ImagesPerSecond = ips,
                    LatencyP50 = served ? c.Streams / ips : double.NaN,
                    LatencyP99 = served ? 1.2 * c.Streams / ips : double.NaN,
                    FirstStepP50 = served ? 0.01 * c.Streams : double.NaN,
                    FirstStepP99 = served ? 0.02 * c.Streams : double.NaN,
                    StepSeconds = served ? 0.01 * Math.Min(c.Streams, 8) : double.NaN,
                    MeanExitLayer = c.Mode == "full" ? 13 : 6.8,
                    Errors = errors?.Invoke(c, round) ?? 0,
                    LoadAverage = 1.5,
                    // with cpu: the server 80 ms an image and its client 20, in-process 90; the machine saturated
                    ServerCpuSeconds = cpu && served ? (c.Path == BenchPath.Server ? 0.08 : 0.09) * c.Images : double.NaN,
                    ClientCpuSeconds = cpu && c.Path == BenchPath.Server ? 0.02 * c.Images : double.NaN,
                    MachineCpuSeconds = cpu && served ? 2 * c.Images / ips : double.NaN,
                });
            }
            probes.Add(new ProbeMeasurement
            {
                Round = round,
                MatmulPeakGflops = peak?.Invoke(round) ?? 480,
                MatmulMedianGflops = 450,
                PassSeconds = new Dictionary<string, double> { ["onnxruntime"] = 0.02, ["torchsharp"] = 0.03 },
                PassGflops = new Dictionary<string, double>
                {
                    ["onnxruntime"] = passGflops?.Invoke("onnxruntime", round) ?? 240,
                    ["torchsharp"] = passGflops?.Invoke("torchsharp", round) ?? 160,
                },
            });
        }
        return new BenchResult
        {
            Command = "dotnet run -c Release --project benchmarks/AdaDiff.ServingBenchmarks -- --test",
            StartedAt = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero),
            TotalSeconds = 600,
            EstimatedSeconds = 630,
            Machine = "2 logical CPUs, test",
            Settings = new BenchSettings
            {
                Model = "fashion-mnist-uvit",
                WeightsSha256 = "0d5ee2151db35ede5bf406974728db026fd36436d770c0fdf3c2342d860fbcdc",
                Depth = 13,
                Steps = 20,
                ClassLabel = 3,
                Guidance = 3,
                Threshold = 0.8258836f,
                MinLayers = 6,
                Threads = 2,
                MaxActiveJobs = 8,
                MaxBatchRows = 64,
                MaxQueuedJobs = 64,
                MaxUnreadEvents = 8,
                PassRows = 16,
                FlopsPerRow = 298_508_448,
                MatmulSize = 1024,
                Concurrency = options.EffectiveConcurrency,
                Rounds = options.EffectiveRounds,
                Quick = options.Quick,
            },
            PyTorch = new PyTorchSetup { Fair = true, Reason = "the fair configuration (test)" },
            Configs = configs,
            Measurements = measurements,
            Probes = probes,
        };
    }

    /// <summary>A plausible machine: ONNX in-process 8 img/s full, 15 adaptive, the server 3% below, PyTorch 4 and 6.</summary>
    public static double Plausible(BenchConfig c, int round)
    {
        bool adaptive = c.Mode == "adaptive";
        double rate = c.Backend switch
        {
            "pytorch" => c.Streams == 1 ? (adaptive ? 6 : 4) : (adaptive ? 9 : 6),
            "torchsharp" => adaptive ? 10 : 5,
            _ => adaptive ? 15 : 8,
        };
        if (c.Path != BenchPath.PyTorch && c.Streams == 1)
        {
            rate /= 3;
        }
        if (c.Path == BenchPath.Server)
        {
            rate *= c.Previews ? 0.8 : 0.97;
        }
        return rate * (1 + 0.01 * round);
    }
}
