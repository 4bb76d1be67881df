namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// The configurations of a run and their order in each round. Configurations that a ratio compares stand next to each
/// other (server beside in-process, full depth beside adaptive, previews beside the same load without), and every other
/// round runs each pair the other way round, so that a ratio's two figures come from the same minute and neither side
/// always goes first.
/// </summary>
public static class BenchPlan
{
    /// <summary>PyTorch's batches: the baseline's batch 1 and batch 16.</summary>
    public static readonly int[] PyTorchBatches = [1, 16];

    public static readonly string[] Modes = ["full", "adaptive"];

    /// <summary>Calls each stream makes in a round: enough images for a steady figure, few enough for the time budget.</summary>
    public static int CallsPerStream(int streams, bool quick) => quick
        ? (streams == 1 ? 2 : 1)
        : streams switch { 1 => 6, <= 4 => 3, _ => 2 };

    /// <summary>Every configuration, in the order of an even round.</summary>
    public static IReadOnlyList<BenchConfig> Configs(BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configs = new List<BenchConfig>();
        int previewStreams = options.EffectivePreviewStreams;
        foreach (int streams in options.EffectiveConcurrency)
        {
            int calls = CallsPerStream(streams, options.Quick);
            foreach (string backend in options.Backends)
            {
                foreach (string mode in Modes)
                {
                    foreach (BenchPath path in new[] { BenchPath.Server, BenchPath.InProcess })
                    {
                        configs.Add(new BenchConfig { Path = path, Backend = backend, Mode = mode, Streams = streams, CallsPerStream = calls });
                    }
                    if (streams == previewStreams && backend == PreviewBackend(options) && mode == "adaptive")
                    {
                        configs.Add(new BenchConfig { Path = BenchPath.Server, Backend = backend, Mode = mode, Streams = streams, CallsPerStream = calls, Previews = true });
                    }
                }
            }
        }
        if (options.PyTorch != PyTorchChoice.None)
        {
            foreach (int batch in PyTorchBatches)
            {
                foreach (string mode in Modes)
                {
                    // batch 1: a few images one after the other; batch 16: one batch of 16
                    int batches = batch == 1 ? (options.Quick ? 2 : 4) : 1;
                    configs.Add(new BenchConfig { Path = BenchPath.PyTorch, Backend = "pytorch", Mode = mode, Streams = batch, CallsPerStream = batches });
                }
            }
        }
        return configs;
    }

    /// <summary>The backend of the previews configuration: ONNX Runtime (the server's default) when measured.</summary>
    public static string PreviewBackend(BenchOptions options) =>
        options.Backends.Contains("onnxruntime") ? "onnxruntime" : options.Backends[0];

    /// <summary>
    /// The order of round <paramref name="round"/> (0-based): even rounds as <see cref="Configs"/>; odd rounds swap the
    /// two members of each server/in-process pair and the full/adaptive pairs, so no side always runs first.
    /// </summary>
    public static IReadOnlyList<BenchConfig> Order(IReadOnlyList<BenchConfig> configs, int round)
    {
        ArgumentNullException.ThrowIfNull(configs);
        if (round % 2 == 0)
        {
            return configs;
        }
        // Groups of the same (path kind, streams, backend): reversed within, which swaps server/in-process and full/adaptive.
        var result = new List<BenchConfig>(configs.Count);
        int i = 0;
        while (i < configs.Count)
        {
            int j = i;
            while (j < configs.Count && SameGroup(configs[i], configs[j]))
            {
                j++;
            }
            for (int k = j - 1; k >= i; k--)
            {
                result.Add(configs[k]);
            }
            i = j;
        }
        return result;
    }

    private static bool SameGroup(BenchConfig a, BenchConfig b) =>
        (a.Path == BenchPath.PyTorch) == (b.Path == BenchPath.PyTorch) && a.Streams == b.Streams && a.Backend == b.Backend;

    /// <summary>
    /// Seconds a run of <paramref name="configs"/> should take on an idle 2-core machine, from the rates measured here
    /// before (docs/benchmarks.md, docs/design.md §9): start-up, warm-up, the rounds and the probes.
    /// </summary>
    public static double EstimateSeconds(IReadOnlyList<BenchConfig> configs, int rounds, int steps)
    {
        ArgumentNullException.ThrowIfNull(configs);
        double perRound = 4; // peak probe and denoiser passes
        foreach (BenchConfig c in configs)
        {
            perRound += c.Images / NominalImagesPerSecond(c) * steps / 20.0 + (c.Path == BenchPath.PyTorch ? 3.0 : 0.3);
        }
        const double startup = 75; // two servers and two in-process backends loaded and warmed, the PyTorch check
        // one call per stream at each concurrency (capped at MaxActiveJobs + 2 = 10) for each served configuration
        double warmup = 0;
        foreach (BenchConfig c in configs.Where(c => c.Path != BenchPath.PyTorch).DistinctBy(c => (c.Path, c.Backend, c.Mode, c.Previews)))
        {
            foreach (int streams in configs.Where(x => x.Path != BenchPath.PyTorch).Select(x => Math.Min(x.Streams, 10)).Distinct())
            {
                warmup += streams / NominalImagesPerSecond(c with { Streams = streams }) * steps / 20.0 + 0.3;
            }
        }
        return startup + warmup + rounds * perRound;
    }

    /// <summary>Images/s of DDIM-20 with guidance 3 measured here on an idle machine (one image per call).</summary>
    internal static double NominalImagesPerSecond(BenchConfig c)
    {
        bool adaptive = c.Mode == "adaptive";
        double rate = c.Backend switch
        {
            "pytorch" => c.Streams == 1 ? (adaptive ? 9.0 : 5.4) : (adaptive ? 20.0 : 12.0),
            "torchsharp" => c.Streams == 1 ? (adaptive ? 6.0 : 3.3) : (adaptive ? 14.0 : 8.0),
            _ => c.Streams == 1 ? (adaptive ? 9.5 : 5.3) : (adaptive ? 15.0 : 8.0),
        };
        if (c.Path != BenchPath.PyTorch && c.Streams is > 1 and <= 4)
        {
            rate *= 0.85;
        }
        return c.Previews ? rate * 0.8 : rate;
    }
}
