using AdaDiff.Backends.TorchSharp;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp.Safetensors;
using AdaDiff.Engine;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace AdaDiff.Parity.Tests;

/// <summary>
/// The TorchSharp U-ViT against the PyTorch reference (reference/uvit_reference.py) on the same package and
/// inputs: embedding, every layer's hidden state, the shared head's prediction and the UEM map and certainty
/// of every layer, and the final ε̂, each within 1e-4 (max abs); the backend's serving path (layer by layer,
/// with a row leaving mid-way) against the same reference.
/// </summary>
public sealed class UViTParityTests(ITestOutputHelper output) : IDisposable
{
    private const float Tolerance = 1e-4f;

    private readonly string temp = Directory.CreateTempSubdirectory("adadiff-parity-").FullName;

    public static TheoryData<string> RandomConfigs => ["conditional-d64-l5", "unconditional-d32-l3"];

    [Fact]
    public void ShippedPackage_EveryLayer_MatchesPyTorchReference()
    {
        string package = Path.Combine(PythonReference.RepositoryRoot, "models", "fashion-mnist-uvit");
        AssertParity(package, seed: 11);
    }

    [Theory]
    [MemberData(nameof(RandomConfigs))]
    public void RandomPackage_EveryLayer_MatchesPyTorchReference(string config)
    {
        string package = WriteRandomPackage(config, seed: 5);
        AssertParity(package, seed: 12);
    }

    [Theory]
    [InlineData("rename", "unexpected tensor 'mid_block.attn.proj_weight'")]
    [InlineData("drop", "missing tensor 'uem.4.linear.bias'")]
    [InlineData("reshape", "tensor 'decoder_pred.bias' has shape [31], expected [32]")]
    public void Reference_WeightsNotMatchingModel_FailsNamingTheTensor(string change, string message)
    {
        string package = WriteRandomPackage("conditional-d64-l5", seed: 5);
        string weights = Path.Combine(package, ModelPackage.WeightsFileName);
        var entries = new List<SafetensorsTensor>();
        foreach (SafetensorsTensor entry in SafetensorsFile.Read(weights).Tensors)
        {
            SafetensorsTensor? changed = (change, entry.Name) switch
            {
                ("rename", "mid_block.attn.proj.weight") => new SafetensorsTensor("mid_block.attn.proj_weight", entry.DType, entry.Shape, entry.Data),
                ("drop", "uem.4.linear.bias") => null,
                ("reshape", "decoder_pred.bias") => new SafetensorsTensor(entry.Name, entry.DType, [31], entry.Data[..(31 * 4)]),
                _ => entry,
            };
            if (changed is not null)
            {
                entries.Add(changed);
            }
        }
        new SafetensorsFile(entries).Write(weights);
        string inputs = Path.Combine(temp, "inputs.safetensors");
        ParityCase.Create(ModelPackage.ReadManifest(package), seed: 1).Write(inputs);

        (int code, string stdout, string stderr) = PythonReference.Run("forward", package, inputs, Path.Combine(temp, "out.safetensors"), "--no-verify-sha256");

        Assert.True(code == 2, $"expected exit code 2, got {code}\nstdout: {stdout}\nstderr: {stderr}");
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Contains(weights, stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(temp, "out.safetensors")));
    }

    public void Dispose() => Directory.Delete(temp, recursive: true);

    private void AssertParity(string package, int seed)
    {
        PythonReference.RequireTorch();
        using TorchSharpBackend backend = TorchSharpBackend.Load(package, new TorchSharpBackendOptions { Threads = 1 });
        var parityCase = ParityCase.Create(backend.Manifest, seed);
        string inputs = Path.Combine(temp, "inputs.safetensors");
        string reference = Path.Combine(temp, "reference.safetensors");
        parityCase.Write(inputs);

        PythonReference.Forward(package, inputs, reference);
        Dictionary<string, Output> model = LayerOutputs.FromModel(backend.Model, parityCase);
        int depth = backend.Manifest.Depth;
        int dropAfter = depth / 2;  // the in-blocks' skips are all on the stack
        (Dictionary<string, Output> served, int[] kept) = LayerOutputs.FromBackend(backend, parityCase, dropAfter, dropRow: 1);

        var report = new ParityReport(reference);
        Assert.Equal(2 + (4 * depth) + 1, model.Count);
        foreach ((string name, Output value) in model)
        {
            report.Compare(name, value, name);
        }
        for (int i = 0; i < depth; i++)
        {
            int[]? rows = i + 1 > dropAfter ? kept : null;
            report.Compare($"batch.eps.{i}", served[$"batch.eps.{i}"], $"eps.{i}", rows);
            report.Compare($"batch.certainty.{i}", served[$"batch.certainty.{i}"], $"certainty.{i}", rows);
        }
        string? degenerate = DegenerateWeights(package, backend.Manifest);
        if (degenerate is not null)
        {
            output.WriteLine(degenerate);
        }
        output.WriteLine($"{backend.Manifest.Name}: depth {depth}, D {backend.Manifest.EmbedDim}, {parityCase.Rows} rows, worst max|Δ| {report.WorstMaxAbs:E2}");
        report.AssertWithin(Tolerance, output.WriteLine, degenerate);
    }

    /// <summary>
    /// A note when the package's matrices are constant (every element equal): such a network is rank-1 and so
    /// ill-conditioned that float32 rounding alone (PyTorch float32 against float64) exceeds the tolerance.
    /// TorchSharp 0.107's nn.init.trunc_normal_ computes x·mean + std instead of x·std + mean, so a package
    /// written by UViT's initialisation (init-model) has every Linear weight and pos_embed equal to 0.02.
    /// </summary>
    private static string? DegenerateWeights(string package, ModelManifest manifest)
    {
        string path = Path.Combine(package, manifest.Weights.File);
        var constant = new List<string>();
        int matrices = 0;
        foreach (SafetensorsTensor entry in SafetensorsFile.Read(path).Tensors)
        {
            if (entry.Shape.Length < 2 || entry.ElementCount < 2)
            {
                continue;
            }
            matrices++;
            float[] values = entry.ToSingles();
            if (Array.TrueForAll(values, v => v == values[0]))
            {
                constant.Add(entry.Name);
            }
        }
        return constant.Count == 0 ? null :
            $"NOTE: {constant.Count} of {matrices} weight tensors in {path} are constant (e.g. '{constant[0]}'): the package was " +
            "initialised with TorchSharp 0.107's nn.init.trunc_normal_, which fills every element with the std (LibTorchSharp applies " +
            "mul_(mean) then add_(std)). Fix UViT.InitializeWeights and regenerate or retrain the package; on a rank-1 network float32 " +
            "rounding alone exceeds the tolerance in the out-blocks.\n";
    }

    /// <summary>A random package in the temp folder (see <see cref="Randomize"/>).</summary>
    private string WriteRandomPackage(string name, int seed)
    {
        UViTConfig config = name switch
        {
            // Non-square, two channels: unpatchify and channel order are checked.
            "conditional-d64-l5" => new UViTConfig { Channels = 2, Height = 16, Width = 8, PatchSize = 4, EmbedDim = 64, Depth = 5, NumHeads = 4, MlpRatio = 2.0, NumClasses = 3 },
            "unconditional-d32-l3" => new UViTConfig { Channels = 1, Height = 8, Width = 12, PatchSize = 2, EmbedDim = 32, Depth = 3, NumHeads = 2, MlpRatio = 3.0, NumClasses = 0 },
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown test config"),
        };
        var manifest = new ModelManifest
        {
            Name = name,
            Architecture = "uvit-adadiff",
            Channels = config.Channels,
            Height = config.Height,
            Width = config.Width,
            PatchSize = config.PatchSize,
            EmbedDim = config.EmbedDim,
            Depth = config.Depth,
            NumHeads = config.NumHeads,
            MlpRatio = config.MlpRatio,
            NumClasses = config.NumClasses,
            SupportsUnconditional = true,
            NoiseSchedule = new NoiseScheduleSpec(),
            Flops = FlopCounter.Count(config),
            Weights = new WeightsFile { File = ModelPackage.WeightsFileName },
        };
        string dir = Path.Combine(temp, name);
        manual_seed(seed);
        using var model = new UViT(config);
        Randomize(model, seed);
        ModelPackage.Save(dir, manifest, model);
        return dir;
    }

    /// <summary>
    /// Every parameter drawn afresh: weights N(0, 1/fan_in), so no matrix is symmetric or rank-deficient and a
    /// transposed weight, swapped head or wrong token order shows; biases N(0, 0.1²), norm weights 1 + N(0, 0.1²),
    /// pos_embed N(0, 0.1²), label_emb N(0, 1). (UViT's own init cannot be used: TorchSharp 0.107's
    /// nn.init.trunc_normal_ fills every element with the std, see README.md.)
    /// </summary>
    private static void Randomize(UViT model, int seed)
    {
        var generator = new Generator((ulong)seed + 100);
        using var noGrad = no_grad();
        foreach ((string name, Tensor parameter) in model.named_parameters())
        {
            using var scope = NewDisposeScope();
            Tensor noise = randn(parameter.shape, generator: generator);
            long fanIn = 1;
            for (int d = 1; d < parameter.shape.Length; d++)
            {
                fanIn *= parameter.shape[d];
            }
            Tensor value = name switch
            {
                _ when name.EndsWith(".bias", StringComparison.Ordinal) => noise.mul(0.1),
                _ when name.Contains("norm", StringComparison.Ordinal) => noise.mul(0.1).add(1.0),
                "pos_embed" => noise.mul(0.1),
                "label_emb.weight" => noise,
                _ => noise.mul(1.0 / Math.Sqrt(fanIn)),
            };
            parameter.copy_(value);
        }
    }
}
