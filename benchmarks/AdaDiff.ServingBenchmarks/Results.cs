namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// One configuration in one round. Latencies are per call (one image) from the client's start of the call to its
/// result; time to first step (TTFS) from the start to the first step event; step time is the median interval between
/// a call's consecutive step events (one scheduler tick under that load). PyTorch fills only images/s, wall time and
/// the mean exit layer: its sampling loop has no calls or streams.
/// </summary>
public sealed record Measurement
{
    public required string Config { get; init; }

    public required int Round { get; init; }

    /// <summary>From the first call's start to the last call's end (PyTorch: its sampling loop).</summary>
    public required double WallSeconds { get; init; }

    public required int Images { get; init; }

    public required double ImagesPerSecond { get; init; }

    public double LatencyP50 { get; init; } = double.NaN;

    public double LatencyP99 { get; init; } = double.NaN;

    public double FirstStepP50 { get; init; } = double.NaN;

    public double FirstStepP99 { get; init; } = double.NaN;

    public double StepSeconds { get; init; } = double.NaN;

    /// <summary>Mean exit layer over images and steps (the depth for full depth).</summary>
    public double MeanExitLayer { get; init; } = double.NaN;

    /// <summary>Calls that failed or ended otherwise than with every step and a result.</summary>
    public int Errors { get; init; }

    public string? FirstError { get; init; }

    /// <summary>The 1-minute load average when the configuration ended (other work on the machine shows here).</summary>
    public double LoadAverage { get; init; } = double.NaN;

    /// <summary>
    /// CPU seconds of the process that did the generation work during the configuration: the server process (server
    /// path) or the backend's runner process, where scheduler, backend and every stream's reader share one process
    /// (in-process path). NaN for PyTorch and for runs before it was measured.
    /// </summary>
    public double ServerCpuSeconds { get; init; } = double.NaN;

    /// <summary>Server path: CPU seconds of the benchmark process during the configuration, the client library reading every stream. NaN elsewhere.</summary>
    public double ClientCpuSeconds { get; init; } = double.NaN;

    /// <summary>Busy CPU seconds of the whole machine during the configuration (/proc/stat, all CPUs): other work shows as the part the two above leave.</summary>
    public double MachineCpuSeconds { get; init; } = double.NaN;
}

/// <summary>The peak probe and the denoiser's pass time in one round.</summary>
public sealed record ProbeMeasurement
{
    public required int Round { get; init; }

    /// <summary>Best GFLOP/s of the probe's square float32 MatMul through ONNX Runtime (the machine's peak).</summary>
    public required double MatmulPeakGflops { get; init; }

    /// <summary>Median GFLOP/s of the same MatMul.</summary>
    public required double MatmulMedianGflops { get; init; }

    /// <summary>Per backend: the median seconds of one full-depth network pass of <see cref="BenchSettings.PassRows"/> rows.</summary>
    public required IReadOnlyDictionary<string, double> PassSeconds { get; init; }

    /// <summary>Per backend: model.json's FLOPs of those rows at full depth over <see cref="PassSeconds"/>, in GFLOP/s.</summary>
    public required IReadOnlyDictionary<string, double> PassGflops { get; init; }
}

/// <summary>Which PyTorch configuration ran, and why.</summary>
public sealed record PyTorchSetup
{
    /// <summary>True: libopenblas0-openmp first on LD_LIBRARY_PATH with OPENBLAS_CORETYPE=SkylakeX (scripts/fair-pytorch.sh).</summary>
    public required bool Fair { get; init; }

    /// <summary>One sentence: what ran and why (the check's figures, or why the fair configuration could not run).</summary>
    public required string Reason { get; init; }

    /// <summary>The OpenBLAS the reference loaded in the configuration that ran.</summary>
    public IReadOnlyList<string> Blas { get; init; } = [];

    public double ForwardMaxAbsDiff { get; init; } = double.NaN;

    public double ImageMaxAbsDiff { get; init; } = double.NaN;

    /// <summary>Seconds the check's workload took in the default configuration and in the fair one.</summary>
    public double DefaultCheckSeconds { get; init; } = double.NaN;

    public double FairCheckSeconds { get; init; } = double.NaN;

    /// <summary>The command line prefix that ran the reference (the script or /usr/bin/python3).</summary>
    public string Command { get; init; } = "";
}

/// <summary>What every configuration shares, as run.</summary>
public sealed record BenchSettings
{
    public required string Model { get; init; }

    public required string WeightsSha256 { get; init; }

    public required int Depth { get; init; }

    public required int Steps { get; init; }

    public required int ClassLabel { get; init; }

    public required float Guidance { get; init; }

    public required float Threshold { get; init; }

    public required int MinLayers { get; init; }

    public required int Threads { get; init; }

    /// <summary>The scheduler limits the server and the in-process scheduler both ran with.</summary>
    public required int MaxActiveJobs { get; init; }

    public required int MaxBatchRows { get; init; }

    /// <summary>Where the two limits above came from: the command line, the server's appsettings.json, or derived.</summary>
    public string LimitsSource { get; init; } = "";

    public required int MaxQueuedJobs { get; init; }

    public required int MaxUnreadEvents { get; init; }

    /// <summary>Rows of the denoiser pass measured for GFLOP/s (the batch of the GFLOP/s target).</summary>
    public required int PassRows { get; init; }

    /// <summary>FLOPs of one row through the network at full depth, from model.json (embed + layers + head).</summary>
    public required double FlopsPerRow { get; init; }

    /// <summary>Side of the probe's square MatMul.</summary>
    public required int MatmulSize { get; init; }

    public required IReadOnlyList<int> Concurrency { get; init; }

    public required int Rounds { get; init; }

    public required bool Quick { get; init; }
}

/// <summary>Everything one run measured: the raw rounds; <see cref="Analysis"/> derives the rest.</summary>
public sealed record BenchResult
{
    public required string Command { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required double TotalSeconds { get; init; }

    public required double EstimatedSeconds { get; init; }

    public required string Machine { get; init; }

    public required BenchSettings Settings { get; init; }

    public required PyTorchSetup PyTorch { get; init; }

    public required IReadOnlyList<BenchConfig> Configs { get; init; }

    public required IReadOnlyList<Measurement> Measurements { get; init; }

    public required IReadOnlyList<ProbeMeasurement> Probes { get; init; }

    /// <summary>Server options both server processes ran with beyond address and ports.</summary>
    public IReadOnlyList<string> ServerArgs { get; init; } = [];

    public IReadOnlyList<string> Notes { get; init; } = [];
}
