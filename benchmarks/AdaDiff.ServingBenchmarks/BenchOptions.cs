namespace AdaDiff.ServingBenchmarks;

/// <summary>How the PyTorch baseline runs.</summary>
public enum PyTorchChoice
{
    /// <summary>The fair configuration when its check passes, else the machine's default, saying why.</summary>
    Auto,

    /// <summary>The fair configuration; the run stops if it cannot be fetched or its check fails.</summary>
    Fair,

    /// <summary>The machine's configuration as it is (libopenblas0, the pthread build): not a fair baseline on 2 cores.</summary>
    Default,

    /// <summary>No PyTorch configurations.</summary>
    None,
}

/// <summary>The benchmark's settings (its command-line options).</summary>
public sealed record BenchOptions
{
    /// <summary>Paths here are taken from the repository root (the folder holding AdaDiff.Grpc.sln).</summary>
    public string Package { get; init; } = "models/fashion-mnist-uvit";

    public string ServerDll { get; init; } = "server/AdaDiff.Server/bin/Release/net10.0/linux-x64/AdaDiff.Server.dll";

    public bool Quick { get; init; }

    /// <summary>Null: 3 (1 with --quick).</summary>
    public int? Rounds { get; init; }

    /// <summary>Null: 1, 4, 16, 64 (1, 4 with --quick).</summary>
    public IReadOnlyList<int>? Concurrency { get; init; }

    public IReadOnlyList<string> Backends { get; init; } = ["onnxruntime", "torchsharp"];

    /// <summary>Streams of the configuration with x̂₀ previews every step (ONNX Runtime, adaptive). Null: 16, or the largest concurrency measured when 16 is not.</summary>
    public int? PreviewStreams { get; init; }

    /// <summary>Intra-op threads of every backend (the servers', in-process, PyTorch's). Null: the processor count.</summary>
    public int? Threads { get; init; }

    /// <summary>Scheduler limits for the servers and the in-process schedulers alike. Null: the built server's appsettings.json.</summary>
    public int? MaxActiveJobs { get; init; }

    public int? MaxBatchRows { get; init; }

    public int? MaxQueuedJobs { get; init; }

    /// <summary>The server's MaxUnreadEventsPerStream (its default, 8), used in-process too.</summary>
    public int MaxUnreadEvents { get; init; } = 8;

    public int Steps { get; init; } = 20;

    public int ClassLabel { get; init; } = 3;

    public float Guidance { get; init; } = 3f;

    /// <summary>Rows of the denoiser pass whose GFLOP/s is compared with the matmul peak.</summary>
    public int PassRows { get; init; } = 16;

    public int MatmulSize { get; init; } = 1024;

    public PyTorchChoice PyTorch { get; init; } = PyTorchChoice.Auto;

    /// <summary>Prefix of the JSON and PNG outputs. Null: docs/serving-benchmarks (build/serving-benchmarks-quick/serving-benchmarks with --quick).</summary>
    public string? Out { get; init; }

    /// <summary>Markdown file whose serving section is written (the rest is kept). Null: docs/benchmarks.md (build/serving-benchmarks-quick/benchmarks.md with --quick).</summary>
    public string? Markdown { get; init; }

    /// <summary>Further server flags, e.g. --AdaDiff:Limits:MaxSendMessageBytes=…; none may set what the benchmark sets itself.</summary>
    public IReadOnlyList<string> ServerArgs { get; init; } = [];

    public int EffectiveRounds => Rounds ?? (Quick ? 1 : 3);

    public IReadOnlyList<int> EffectiveConcurrency => Concurrency ?? (Quick ? [1, 4] : [1, 4, 16, 64]);

    public int EffectiveThreads => Threads ?? Environment.ProcessorCount;

    public int EffectivePreviewStreams => PreviewStreams ?? (EffectiveConcurrency.Contains(16) ? 16 : EffectiveConcurrency.Max());

    public string EffectiveOut => Out ?? (Quick ? "build/serving-benchmarks-quick/serving-benchmarks" : "docs/serving-benchmarks");

    public string EffectiveMarkdown => Markdown ?? (Quick ? "build/serving-benchmarks-quick/benchmarks.md" : "docs/benchmarks.md");

    /// <summary>Flags the benchmark passes to the servers itself.</summary>
    internal static readonly string[] OwnServerFlags =
        ["BindAddress", "GrpcPort", "HttpPort", "urls", "Backend", "Threads", "MaxActiveJobs", "MaxBatchRows", "MaxQueuedJobs", "MaxUnreadEventsPerStream", "ModelRepository", "DefaultModel"];

    /// <summary>Settings that cannot run; empty when fine.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (EffectiveRounds is < 1 or > 50)
        {
            problems.Add($"--rounds must be 1..50; was {EffectiveRounds}");
        }
        if (EffectiveConcurrency.Count == 0 || EffectiveConcurrency.Any(c => c is < 1 or > 256))
        {
            problems.Add($"--concurrency must list 1..256 streams; was {string.Join(',', EffectiveConcurrency)}");
        }
        if (Backends.Count == 0 || Backends.Any(b => b is not ("onnxruntime" or "torchsharp")))
        {
            problems.Add($"--backends must list onnxruntime and/or torchsharp; was {string.Join(',', Backends)}");
        }
        if (PreviewStreams is < 0 or > 256)
        {
            problems.Add($"--preview-streams must be 0 (none) .. 256; was {PreviewStreams}");
        }
        if (EffectiveThreads is < 1 or > 1024)
        {
            problems.Add($"--threads must be 1..1024; was {EffectiveThreads}");
        }
        if (Steps is < 1 or > 1000)
        {
            problems.Add($"--steps must be 1..1000; was {Steps}");
        }
        if (PassRows is < 1 or > 4096 || MatmulSize is < 64 or > 8192)
        {
            problems.Add($"--pass-rows must be 1..4096 and --matmul-size 64..8192; were {PassRows} and {MatmulSize}");
        }
        if (MaxActiveJobs is < 1 || MaxBatchRows is < 1 || MaxQueuedJobs is < 1 || MaxUnreadEvents < 1)
        {
            problems.Add("--max-active-jobs, --max-batch-rows, --max-queued-jobs and --max-unread-events must be at least 1");
        }
        foreach (string arg in ServerArgs)
        {
            string flag = arg.TrimStart('-');
            if (OwnServerFlags.Any(own => flag.Contains(own, StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add($"--server-arg {arg}: the benchmark sets the server's address, ports, backend, threads, model and scheduler limits itself (use its own options)");
            }
        }
        return problems;
    }
}
