using System.Diagnostics;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Scheduling;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// What the hardware gives and what the denoiser gets of it. The peak: one square float32 MatMul (n×n by an n×n
/// constant, 2n³ FLOPs) through ONNX Runtime's CPU provider with the backends' thread count (its MLAS kernels use
/// AVX-512 here). The denoiser: full-depth DDIM steps of a request whose rows fill <c>rows</c> (an image is two rows
/// with guidance), through <see cref="GenerationRunner"/>; a step's time is the generation's wall time less its queue
/// wait over its steps, and its FLOPs are model.json's (embed + every layer + head, per row).
/// </summary>
internal sealed class PeakProbe : IDisposable
{
    private readonly InferenceSession session;
    private readonly DenseTensor<float> input;
    private readonly int size;

    public PeakProbe(int size, int threads)
    {
        this.size = size;
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); // as the backend's pool: no spinning left behind
        session = new InferenceSession(MatmulModel(size).ToByteArray(), options);
        var random = new Random(1);
        input = new DenseTensor<float>([size, size]);
        for (int i = 0; i < size * size; i++)
        {
            input.Buffer.Span[i] = (float)(random.NextDouble() - 0.5);
        }
        Run(); // the first run packs the constant
    }

    /// <summary>GFLOP/s of <paramref name="repeats"/> MatMuls: the best and the median.</summary>
    public (double Peak, double Median) Measure(int repeats)
    {
        var gflops = new double[repeats];
        double flops = 2.0 * size * size * size;
        for (int r = 0; r < repeats; r++)
        {
            long start = Stopwatch.GetTimestamp();
            Run();
            gflops[r] = flops / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
        }
        Array.Sort(gflops);
        return (gflops[^1], Stats.Percentile(gflops, 50));
    }

    /// <summary>Median seconds per full-depth step of <paramref name="rows"/> rows (guided: rows/2 images), over <paramref name="generations"/> runs.</summary>
    public static async Task<double> PassSecondsAsync(IDenoiserBackend backend, BenchSettings settings, int rows, int generations, CancellationToken cancel)
    {
        bool guided = settings.Guidance != 1f;
        var request = new GenerationRequest
        {
            NumImages = guided ? Math.Max(1, rows / 2) : rows,
            Seed = 11,
            Sampler = SamplerKind.Ddim,
            Steps = settings.Steps,
            ClassLabel = settings.ClassLabel,
            GuidanceScale = settings.Guidance,
            Exit = ExitPolicySettings.Full,
        };
        var perStep = new double[generations];
        for (int g = 0; g < generations; g++)
        {
            GenerationRun run = await GenerationRunner.RunAsync(backend, request, cancel);
            perStep[g] = (run.Completed.WallSeconds - run.Completed.QueueSeconds) / settings.Steps;
        }
        Array.Sort(perStep);
        return Stats.Percentile(perStep, 50);
    }

    private void Run()
    {
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> result =
            session.Run([NamedOnnxValue.CreateFromTensor("a", input)]);
    }

    /// <summary>c = a · b with b an n×n initializer, opset 17.</summary>
    private static ModelProto MatmulModel(int n)
    {
        var graph = new GraphProto { Name = "matmul-peak" };
        graph.Input.Add(Value("a", n));
        graph.Output.Add(Value("c", n));
        var b = new TensorProto { Name = "b", DataType = (int)TensorProto.Types.DataType.Float };
        b.Dims.AddRange([n, n]);
        var values = new float[n * n];
        var random = new Random(2);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() - 0.5);
        }
        b.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        graph.Initializer.Add(b);
        var node = new NodeProto { OpType = "MatMul", Name = "matmul" };
        node.Input.AddRange(["a", "b"]);
        node.Output.Add("c");
        graph.Node.Add(node);
        var model = new ModelProto { IrVersion = 8, ProducerName = "adadiff-serving-bench", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }

    private static ValueInfoProto Value(string name, int n)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = n });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = n });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    public void Dispose() => session.Dispose();
}
