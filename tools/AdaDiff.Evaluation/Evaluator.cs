using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AdaDiff.Backends.Onnx;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Evaluation.Classifier;
using AdaDiff.Evaluation.Internal;
using AdaDiff.Evaluation.Internal.Steps;
using AdaDiff.Evaluation.Metrics;
using AdaDiff.Evaluation.Reporting;
using AdaDiff.Packaging;

namespace AdaDiff.Evaluation;

/// <summary>Runs the configurations of an <see cref="EvalOptions"/>, measures them and writes the report files.</summary>
public static class Evaluator
{
    /// <summary>The stages of an evaluation, in order; each generates its configurations when the options ask for it.</summary>
    internal static IReadOnlyList<IEvalStep> Steps { get; } =
    [
        new MainSweepStep(),
        new PerBatchStep(),
        new StaticTruncationStep(),
        new TimestepScheduleStep(),
        new SamplerComparisonStep(),
        new TargetsStep(),
        new BaselineStep(),
        new UnconditionalStep(),
    ];

    /// <summary>
    /// Loads (or trains and caches) the classifier and the model, runs every step, computes the metrics and writes
    /// <c>results.json</c>, the markdown and the pictures. Progress goes to <paramref name="log"/>.
    /// </summary>
    public static async Task<EvalReport> RunAsync(EvalOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var clock = Stopwatch.StartNew();
        DateTimeOffset started = DateTimeOffset.UtcNow;
        CheckClassModel(options.Model);
        Directory.CreateDirectory(options.Out);

        using ClassifierModel classifier = LoadOrTrainClassifier(options, log, cancellationToken);
        log.WriteLine("[eval] embedding the Fashion-MNIST test set and the real-vs-real floor");
        FashionMnist test = FashionMnist.Load(options.DataDirectory, train: false);
        FashionMnist train = FashionMnist.Load(options.DataDirectory, train: true);
        ClassifierOutputs testOutputs = classifier.Analyze(test.Images, test.Count);
        FeatureStatistics testStats = FeatureStatistics.FromRows(testOutputs.Features, test.Count, FashionClassifier.FeatureDim);
        var scorer = new Scorer(classifier, testStats, train, (int)(options.Seed % int.MaxValue));

        using IDenoiserBackend backend = OpenBackend(options, options.Model);
        log.WriteLine($"[eval] {options.Model} on {backend.Name} ({backend.ExecutionProvider})");
        CheckFits(backend.Manifest, options.Model);
        if (options.BaselineModel is string baselineDir)
        {
            // Checked before the hour of sampling, not after it.
            CheckComparable(ModelManifest.Load(Path.Combine(baselineDir, ModelPackage.ManifestFileName)), baselineDir, backend.Manifest);
        }
        int minLayers = options.MinLayers ?? backend.Manifest.DefaultMinLayers;
        var run = new EvalRun(options, backend, test, scorer, ThresholdSweep.Choose(backend, test, options, minLayers, log), minLayers, log);
        foreach (IEvalStep step in Steps.Where(s => s.IsEnabled(run)))
        {
            await step.RunAsync(run, cancellationToken);
        }
        run.Progress.Stage("writing the report");

        var info = new ClassifierInfo(ClassifierPathForReport(options.ClassifierPath), Accuracy(testOutputs.Predictions, test.Labels), classifier.Metadata);
        EvalReport report = Report(run, info, started);
        var pictures = ReportPictures.Write(options.Out, report, run.Main.Full.Set, run.Main.PictureRun.Set, run.Unconditional?.Full.Set, run.Unconditional?.Adaptive.Set, run.Manifest);
        report = report with { Pictures = pictures };
        report.WallSeconds = clock.Elapsed.TotalSeconds;
        await File.WriteAllTextAsync(Path.Combine(options.Out, ResultsFileName), JsonSerializer.Serialize(report, JsonOutput.Options) + "\n", cancellationToken);
        string markdownPath = await WriteMarkdownAsync(report, options, cancellationToken);
        if (options.WriteDefault)
        {
            ManifestUpdate.WriteDefaultThreshold(options.Model, run.Main.Selection, options.CommandLine, started);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[eval] wrote defaultThreshold {run.Main.Threshold:0.####} into {Path.Combine(options.Model, ModelPackage.ManifestFileName)}"));
        }
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[eval] done in {clock.Elapsed.TotalMinutes:F1} min: {markdownPath}, {Path.Combine(options.Out, ResultsFileName)}"));
        return report;
    }

    /// <summary>The report of a finished run (without its pictures and wall time): the runs, the equal-depth table and the targets.</summary>
    private static EvalReport Report(EvalRun run, ClassifierInfo classifier, DateTimeOffset started)
    {
        EvalOptions options = run.Options;
        ModelManifest manifest = run.Manifest;
        MainSweep main = run.Main;
        (MeasuredRun targetFull, MeasuredRun targetAdaptive) = run.Targets ?? (main.Full, main.PictureRun);
        List<EqualDepthRecord> equalDepth = EqualDepthTable.Compute(main.PerSample, run.PerBatch, run.Statics, main.Full, run.Baseline, run.Scorer.Test, (int)(options.Seed % int.MaxValue));
        double? targetFloor = targetFull.Record.Samples >= 2 ? run.Scorer.Floor(targetFull.Record.Samples) : null;
        var targets = new TargetsRecord(targetFull.Record.Samples, targetFull.Record.Id, targetAdaptive.Record.Id, main.Selection,
            TargetChecks.Judge(targetFull.Record, targetAdaptive.Record, targetFloor, equalDepth.FirstOrDefault(e => e.Threshold == main.Threshold), manifest.Depth));
        return new EvalReport
        {
            Command = options.CommandLine,
            StartedUtc = started,
            Model = new ModelInfo(manifest.Name, options.Model, manifest.Description, manifest.Weights.Sha256, manifest.Depth, ModelDescription.TrainingSteps(manifest),
                options.WeightsNote ?? ModelDescription.WeightsNote(manifest)) { ClassNames = manifest.ClassNames },
            Classifier = classifier,
            Settings = new EvalSettings(options.Samples, options.TargetSamples, options.Sampler, options.Steps, run.Sweep.Thresholds, main.Threshold, run.MinLayers,
                options.GuidanceFor(manifest), options.Seed, options.JobImages, options.ResolvedDdpmSamples, options.DdpmSteps, options.DdimSteps, options.DpmSolverSteps)
            { Backend = run.Backend.Name },
            Floors = run.Scorer.Floors,
            Probe = run.Sweep.Record,
            BaselineProbe = run.BaselineProbe,
            Runs = [.. run.Runs.Select(r => r.Record)],
            EqualDepth = equalDepth,
            Targets = targets,
            Heatmap = main.Heatmap,
            Pictures = [],
        };
    }

    /// <summary>Name of the JSON results inside the output folder.</summary>
    public const string ResultsFileName = "results.json";

    /// <summary>Rewrites the markdown and redraws the plots from <c>OUT/results.json</c> (after a change of the report's layout); returns the markdown's path.</summary>
    public static async Task<string> RenderAsync(EvalOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        string path = Path.Combine(options.Out, ResultsFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no results to render (run eval first)", path);
        }
        EvalReport report = JsonSerializer.Deserialize<EvalReport>(await File.ReadAllTextAsync(path, cancellationToken), JsonOutput.Options)
            ?? throw new InvalidDataException($"{path}: empty");
        report = WithClassNames(report);
        var pictures = report.Pictures.ToList();
        foreach (string picture in ReportPictures.WritePlots(options.Out, report))
        {
            if (!pictures.Contains(picture))
            {
                pictures.Add(picture);
            }
        }
        return await WriteMarkdownAsync(report with { Pictures = pictures }, options, cancellationToken);
    }

    /// <summary>
    /// Results from before class names were recorded take them from the evaluated package's model.json, when it is
    /// still where the report says.
    /// </summary>
    private static EvalReport WithClassNames(EvalReport report)
    {
        string manifestPath = Path.Combine(report.Model.Path, ModelPackage.ManifestFileName);
        if (report.Model.ClassNames.Count > 0 || !File.Exists(manifestPath))
        {
            return report;
        }
        try
        {
            return report with { Model = report.Model with { ClassNames = ModelManifest.Load(manifestPath).ClassNames } };
        }
        catch (Exception e) when (e is IOException or InvalidDataException or JsonException)
        {
            return report; // the names are a courtesy: a package that no longer loads leaves the class indices
        }
    }

    private static async Task<string> WriteMarkdownAsync(EvalReport report, EvalOptions options, CancellationToken cancellationToken)
    {
        string markdownPath = options.ResolvedMarkdown;
        string markdownDir = Path.GetDirectoryName(Path.GetFullPath(markdownPath)) ?? ".";
        Directory.CreateDirectory(markdownDir);
        await File.WriteAllTextAsync(markdownPath, ReportWriter.Markdown(report, Path.GetRelativePath(markdownDir, Path.GetFullPath(options.Out))), cancellationToken);
        return markdownPath;
    }

    internal static ClassifierModel LoadOrTrainClassifier(EvalOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        if (File.Exists(options.ClassifierPath))
        {
            return ClassifierModel.Load(options.ClassifierPath);
        }
        log.WriteLine($"[eval] no classifier at {options.ClassifierPath}: training one (about 5 epochs) and caching it there");
        ClassifierModel model = ClassifierTrainer.Train(new ClassifierTrainingOptions { DataDirectory = options.DataDirectory }, log, cancellationToken);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(options.ClassifierPath));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }
        model.Save(options.ClassifierPath);
        return model;
    }

    // The same weights on either backend; ONNX Runtime exports the graphs in memory when the package has none (or stale ones).
    internal static IDenoiserBackend OpenBackend(EvalOptions options, string packageDir) => options.Backend switch
    {
        EvalOptions.BackendTorchSharp => TorchSharpBackend.Load(packageDir, new TorchSharpBackendOptions { Threads = options.Threads }),
        _ => OnnxBackend.Load(packageDir, new OnnxBackendOptions { Threads = options.Threads, ReexportWhenStale = true }),
    };

    /// <summary>A text package has its own evaluation (prompts, not classes): refused here, before anything loads.</summary>
    private static void CheckClassModel(string packageDir)
    {
        string path = Path.Combine(packageDir, ModelPackage.ManifestFileName);
        if (File.Exists(path) && ModelManifest.Load(path).Conditioning == ConditioningKind.Text)
        {
            throw new InvalidDataException($"{packageDir}: a text-conditioned model (model.json says \"conditioning\": \"text\"); evaluate it with adadiff-tools eval text --model {packageDir}");
        }
    }

    private static void CheckFits(ModelManifest manifest, string path)
    {
        if (manifest.Channels != 1 || manifest.Height != FashionClassifier.Side || manifest.Width != FashionClassifier.Side || manifest.NumClasses != FashionClassifier.Classes)
        {
            throw new InvalidDataException($"{path}: the evaluation's classifier needs 1×28×28 images in 10 classes (Fashion-MNIST); the model makes {manifest.Channels}×{manifest.Height}×{manifest.Width} in {manifest.NumClasses}");
        }
    }

    /// <summary>A baseline package is compared at equal mean depth: it must make the same images with as many layers.</summary>
    internal static void CheckComparable(ModelManifest baseline, string path, ModelManifest model)
    {
        CheckFits(baseline, path);
        if (baseline.Depth != model.Depth)
        {
            throw new InvalidDataException($"--baseline-model {path}: depth {baseline.Depth} differs from the model's {model.Depth}; equal mean depth needs the same number of layers");
        }
    }

    internal static double Accuracy(int[] predictions, IReadOnlyList<byte> labels)
    {
        int correct = 0;
        for (int i = 0; i < predictions.Length; i++)
        {
            correct += predictions[i] == labels[i] ? 1 : 0;
        }
        return (double)correct / predictions.Length;
    }

    // The shipped classifier is named as such wherever the tools were copied to; any other by its path.
    internal static string ClassifierPathForReport(string path) =>
        Path.GetFullPath(path) == Path.GetFullPath(ClassifierModel.DefaultPath) ? $"classifier/{ClassifierModel.FileName}" : RelativeToWorkingDirectory(path);

    // Reports name paths as the user typed them from the working directory, never a machine's absolute path.
    private static string RelativeToWorkingDirectory(string path)
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? Path.GetFileName(path) : relative;
    }
}
