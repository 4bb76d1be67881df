using System.Globalization;
using System.Text.Json;
using AdaDiff.Evaluation.Classifier;
using AdaDiff.Evaluation.Internal;
using AdaDiff.Evaluation.Reporting;
using AdaDiff.Tools.Shared;

namespace AdaDiff.Evaluation;

/// <summary>
/// <c>adadiff-tools eval</c>: measures FID-proxy, class accuracy, PSNR and compute of adaptive exits against
/// full depth, static truncation, the per-batch rule and fewer steps; <c>adadiff-tools eval classifier</c>
/// trains the classifier those metrics use.
/// </summary>
public static class EvalCommand
{
    /// <summary>Help text.</summary>
    public const string Usage = """
        usage: adadiff-tools eval [options]
               adadiff-tools eval render [--out DIR] [--markdown PATH]   (rewrite the markdown from OUT/results.json)
               adadiff-tools eval compare --runs "LABEL=RESULTS,LABEL=RESULTS[,...]" --out DIR [--markdown PATH]
                                 (per-sample sweeps of one backbone's evaluations on one plot, against the first
                                 one's static truncation at equal mean depth; DIR/pareto*.png, DIR.md)
               adadiff-tools eval classifier [--out PATH] [--epochs 5] [--seed 0] [--batch-size 128] [--lr 0.001] [--data DIR] [--init WEIGHTS]

        eval options:
          --model DIR            model package (default models/fashion-mnist-uvit)
          --samples N            class-conditional images per configuration of the sweep and the comparisons,
                                 balanced over classes (default 500)
          --target-samples N     images of the two runs the targets are judged on: full depth and the chosen
                                 threshold (default 2000; 0 judges them on the sweep's runs)
          --backend B            onnxruntime (default, the faster on CPU) | torchsharp: which backend generates
          --sampler S            ddim | ddpm | dpm-solver++ (default ddim)
          --steps N              steps of that sampler (default 50)
          --thresholds a,b,...   certainty thresholds swept for the Pareto curve, or auto (default): chosen on a
                                 probe of noised test images to save --auto-targets of the layers
                                 (default 0.1,0.25,0.4,0.45,0.5,0.6), plus the model's default threshold
          --probe-rows N         noised test images in that probe (default 500)
          --threshold T          threshold of the targets, pictures and sampler comparison (default: chosen on
                                 the sweep: fewest layers with FID-proxy ≤ 1.05× full and class accuracy within
                                 2 points of full)
          --write-default        write the chosen threshold into the package's model.json (defaultThreshold)
          --min-layers N         earliest exit layer (default: the model's)
          --guidance G           classifier-free guidance scale of the class-conditional runs (default: the
                                 model's defaultGuidanceScale, what clients get; 1: the conditional prediction
                                 alone, no unconditional rows)
          --seed N               base seed; the same seeds in every configuration (default 0)
          --out DIR              where results.json and the PNGs go (default docs/results)
          --markdown PATH        the markdown report (default OUT.md beside it: docs/results.md)
          --classifier PATH      classifier weights; trained and saved there when missing (default: shipped)
          --data DIR             Fashion-MNIST IDX folder (default /usr/share/datasets/fashion-mnist)
          --baseline-model DIR   a second package swept the same way (e.g. exit heads on a frozen backbone
                                 without the layer-wise loss); --baseline-label TEXT names it
          --no-static            skip static truncation (FIXED_DEPTH)
          --no-schedule          skip the timestep schedule (each step at the depth the per-sample exits took
                                 there on average at the chosen threshold, the same for every image)
          --no-per-batch         skip the per-batch exit decision
          --no-steps             skip the sampler comparison (DDPM, DDIM, DPM-Solver++ with and without exits)
          --ddpm-samples N       images of the DDPM comparison (default samples/10, at least 10)
          --ddpm-steps N, --ddim-steps N, --dpm-steps N   steps of the sampler comparison (1000, 50, 20)
          --unconditional N      unconditional images for the unconditional grid (default 32; 0 skips)
          --job-images N         images per generation job; the per-batch rule decides over a job (default 32)
          --max-batch-rows N     network rows per batch (default 128)
          --threads N            backend threads (default: all processors)
          --weights-note TEXT    what state the weights are in, for the report (default: from model.json)
        """;

    /// <summary>
    /// Runs <c>eval</c> with <paramref name="args"/> (the words after <c>eval</c>). Results go to files; the summary
    /// to standard output, progress with ETA to standard error. Returns 0 on success, 2 for bad arguments, 1 on failure.
    /// </summary>
    public static Task<int> RunAsync(string[] args, CancellationToken cancellationToken) =>
        RunAsync(args, Console.Out, Console.Error, cancellationToken);

    /// <summary>As <see cref="RunAsync(string[], CancellationToken)"/>, writing to the given streams.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Length > 0 && args[0] is "--help" or "-h" or "help")
        {
            await stdout.WriteLineAsync(Usage);
            return 0;
        }
        try
        {
            if (args.Length > 0 && args[0] == "classifier")
            {
                return TrainClassifier(args[1..], stdout, stderr, cancellationToken);
            }
            if (args.Length > 0 && args[0] == "render")
            {
                return await RenderAsync(args[1..], stdout, stderr, cancellationToken);
            }
            if (args.Length > 0 && args[0] == "compare")
            {
                return await CompareAsync(args[1..], stdout, stderr);
            }
            EvalOptions options;
            try
            {
                options = EvalOptions.Parse(args);
            }
            catch (ArgumentException e)
            {
                await stderr.WriteLineAsync($"eval: {e.Message}\n\n{Usage}");
                return 2;
            }
            EvalReport report = await Evaluator.RunAsync(options, stderr, cancellationToken);
            await stdout.WriteLineAsync(ReportWriter.Summary(report));
            return 0;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("eval: cancelled");
            return 1;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            await stderr.WriteLineAsync($"eval: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> RenderAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        EvalOptions options;
        try
        {
            var reader = new CommandLine(args, new HashSet<string>(StringComparer.Ordinal));
            options = new EvalOptions { Out = reader.String("out") ?? new EvalOptions().Out, Markdown = reader.String("markdown") };
            reader.RejectUnknown();
        }
        catch (ArgumentException e)
        {
            await stderr.WriteLineAsync($"eval render: {e.Message}\n\n{Usage}");
            return 2;
        }
        string markdown = await Evaluator.RenderAsync(options, cancellationToken);
        await stdout.WriteLineAsync($"wrote {markdown}");
        return 0;
    }

    private static async Task<int> CompareAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        List<ComparedReport> reports;
        string outDir, markdown;
        try
        {
            var reader = new CommandLine(args, new HashSet<string>(StringComparer.Ordinal));
            string runs = reader.Required("runs");
            outDir = reader.Required("out");
            markdown = reader.String("markdown") ?? Path.TrimEndingDirectorySeparator(outDir) + ".md";
            reader.RejectUnknown();
            reports = Comparison.Read(runs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or JsonException)
        {
            await stderr.WriteLineAsync($"eval compare: {e.Message}\n\n{Usage}");
            return 2;
        }
        string written = Comparison.Write(reports, outDir, markdown, "adadiff-tools eval compare " + string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) || a.Contains(',', StringComparison.Ordinal) ? $"\"{a}\"" : a)));
        await stdout.WriteLineAsync($"wrote {written}");
        return 0;
    }

    private static int TrainClassifier(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ClassifierTrainingOptions options;
        string outPath;
        try
        {
            var reader = new CommandLine(args, new HashSet<string>(StringComparer.Ordinal));
            var defaults = new ClassifierTrainingOptions();
            outPath = reader.String("out") ?? ClassifierModel.DefaultPath;
            options = new ClassifierTrainingOptions
            {
                Epochs = reader.Int("epochs", defaults.Epochs, min: 1),
                Seed = reader.Int("seed", defaults.Seed, min: 0),
                BatchSize = reader.Int("batch-size", defaults.BatchSize, min: 1),
                LearningRate = reader.Double("lr", defaults.LearningRate),
                DataDirectory = reader.String("data") ?? defaults.DataDirectory,
                InitialWeights = reader.String("init"),
            };
            reader.RejectUnknown();
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"eval classifier: {e.Message}\n\n{Usage}");
            return 2;
        }
        using ClassifierModel model = ClassifierTrainer.Train(options, stderr, cancellationToken);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }
        model.Save(outPath);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"classifier: test accuracy {model.RecordedTestAccuracy:P2}, saved to {outPath}"));
        return 0;
    }
}
