using System.Globalization;

namespace AdaDiff.ServingBenchmarks;

/// <summary>Where a configuration's work runs.</summary>
public enum BenchPath
{
    /// <summary>The real server process, called over gRPC on loopback by the C# client library.</summary>
    Server,

    /// <summary>The engine's <c>GenerationScheduler</c> in the backend's runner process (<c>adadiff-serving-bench runner</c>), fed the same concurrent generations.</summary>
    InProcess,

    /// <summary>The PyTorch reference (<c>reference/uvit_reference.py sample</c>) in a process of its own.</summary>
    PyTorch,
}

/// <summary>
/// One measured configuration. For the server and in-process paths, <see cref="Streams"/> concurrent generations of
/// one image each, every stream making <see cref="CallsPerStream"/> calls back to back; for PyTorch,
/// <see cref="Streams"/> is the batch and <see cref="CallsPerStream"/> the number of batches.
/// </summary>
public sealed record BenchConfig
{
    public required BenchPath Path { get; init; }

    /// <summary>"onnxruntime", "torchsharp" or "pytorch".</summary>
    public required string Backend { get; init; }

    /// <summary>"full" (FULL_DEPTH) or "adaptive" (ADAPTIVE with the model's default threshold and min layers).</summary>
    public required string Mode { get; init; }

    /// <summary>Concurrent streams (server, in-process) or images per network batch (PyTorch).</summary>
    public required int Streams { get; init; }

    public required int CallsPerStream { get; init; }

    /// <summary>StreamOptions.preview_every_n_steps = 1 (a PNG of x̂₀ per image per step) besides the latents.</summary>
    public bool Previews { get; init; }

    /// <summary>Images the configuration makes per round.</summary>
    public int Images => Streams * CallsPerStream;

    /// <summary>Stable name, e.g. <c>server/onnxruntime/adaptive/16</c>, <c>server/onnxruntime/adaptive/16/previews</c>, <c>pytorch/full/1</c>.</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture,
        $"{PathName(Path)}{(Path == BenchPath.PyTorch ? "" : "/" + Backend)}/{Mode}/{Streams}{(Previews ? "/previews" : "")}");

    public static string PathName(BenchPath path) => path switch
    {
        BenchPath.Server => "server",
        BenchPath.InProcess => "inprocess",
        _ => "pytorch",
    };

    /// <summary>The key of the configuration with these fields (what <see cref="Key"/> would give).</summary>
    public static string KeyOf(BenchPath path, string backend, string mode, int streams, bool previews = false) =>
        new BenchConfig { Path = path, Backend = backend, Mode = mode, Streams = streams, CallsPerStream = 1, Previews = previews }.Key;
}
