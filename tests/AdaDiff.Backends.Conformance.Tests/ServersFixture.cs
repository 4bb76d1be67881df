using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Grpc.V1;
using Grpc.Net.Client;
using AdaDiff.Packaging;

namespace AdaDiff.Backends.Conformance.Tests;

/// <summary>
/// The real server started twice, as separate processes, on a private model repository holding a copy of the
/// shipped package (model.json and the weights it names; no ONNX export, which is never committed: the ONNX Runtime
/// server exports it at load and caches it in the copy's onnx/): once with <c>--AdaDiff:Backend=onnxruntime</c>,
/// once with <c>--AdaDiff:Backend=torchsharp</c>. Disposing kills both processes and deletes the copy.
/// </summary>
public sealed class ServersFixture : IAsyncLifetime, IAsyncDisposable
{
    public const string Model = "fashion-mnist-uvit";

    /// <summary>Loading a model on a busy 2-core machine while other test assemblies run takes well under this.</summary>
    private static readonly TimeSpan ReadyTimeout = ServerProcess.DefaultReadyTimeout;

    private readonly List<ServerProcess> processes = [];
    private readonly List<GrpcChannel> channels = [];
    private ServerProcess? onnx;
    private bool disposed;

    public string Repository { get; } = Directory.CreateTempSubdirectory("adadiff-e2e-models-").FullName;

    public DiffusionService.DiffusionServiceClient Onnx { get; private set; } = null!;

    public DiffusionService.DiffusionServiceClient TorchSharp { get; private set; } = null!;

    /// <summary>What the ONNX Runtime server has written to its console so far (its log).</summary>
    public string OnnxOutput => onnx?.Output ?? "";

    /// <summary>Seconds from starting both processes until both answered /readyz.</summary>
    public double StartSeconds { get; private set; }

    public DiffusionService.DiffusionServiceClient Get(string backend) => backend switch
    {
        "onnxruntime" => Onnx,
        "torchsharp" => TorchSharp,
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, "unknown backend"),
    };

    public async Task InitializeAsync()
    {
        try
        {
            CopyShippedPackage(Path.Combine(Repository, Model));
            var watch = System.Diagnostics.Stopwatch.StartNew();
            // One intra-op thread each: the two servers share the machine's cores when run side by side.
            ServerProcess Start(string backend)
            {
                ServerProcess p = ServerProcess.Start(
                    $"--AdaDiff:ModelRepository={Repository}", $"--AdaDiff:Backend={backend}", "--AdaDiff:ExecutionProvider=cpu",
                    "--AdaDiff:ReexportStaleOnnx=true", "--AdaDiff:Threads=1");
                processes.Add(p);
                return p;
            }
            ServerProcess onnx = Start("onnxruntime");
            this.onnx = onnx;
            ServerProcess torch = Start("torchsharp");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            await Task.WhenAll(onnx.WaitReadyAsync(http, ReadyTimeout), torch.WaitReadyAsync(http, ReadyTimeout));
            StartSeconds = watch.Elapsed.TotalSeconds;
            Onnx = Client(onnx);
            TorchSharp = Client(torch);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        foreach (GrpcChannel channel in channels)
        {
            channel.Dispose();
        }
        foreach (ServerProcess process in processes)
        {
            await process.DisposeAsync();
        }
        try
        {
            Directory.Delete(Repository, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private DiffusionService.DiffusionServiceClient Client(ServerProcess server)
    {
        GrpcChannel channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}");
        channels.Add(channel);
        return new DiffusionService.DiffusionServiceClient(channel);
    }

    /// <summary>
    /// Copies model.json and the weights it names into <paramref name="package"/>. The weights are read and
    /// checked against model.json by <see cref="PackageWeights.Read"/>; model.json is read before and after and
    /// must not change in between, so a trainer replacing the package mid-copy cannot leave a mixed copy.
    /// </summary>
    private static void CopyShippedPackage(string package)
    {
        string shipped = BackendsFixture.ShippedPackage;
        string manifestPath = Path.Combine(shipped, ModelPackage.ManifestFileName);
        for (int attempt = 0; ; attempt++)
        {
            byte[] manifest = File.ReadAllBytes(manifestPath);
            PackageWeights weights = PackageWeights.Read(shipped);
            if (!manifest.AsSpan().SequenceEqual(File.ReadAllBytes(manifestPath)))
            {
                Assert.True(attempt < 3, $"{manifestPath} kept changing while it was copied");
                continue;
            }
            Directory.CreateDirectory(package);
            File.WriteAllBytes(Path.Combine(package, ModelPackage.ManifestFileName), manifest);
            File.WriteAllBytes(Path.Combine(package, weights.Manifest.Weights.File), weights.Bytes);
            break;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ServersCollection : ICollectionFixture<ServersFixture>
{
    public const string Name = "servers";
}
