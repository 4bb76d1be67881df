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
using AdaDiff.Evaluation.Metrics;
using AdaDiff.Evaluation.Reporting;
using AdaDiff.Packaging;

namespace AdaDiff.Evaluation;

/// <summary>Runs the configurations of an <see cref="EvalOptions"/>, measures them and writes the report files.</summary>
public static class Evaluator
{
    /// <summary>
    /// Loads (or trains and caches) the classifier and the model, generates every configuration, computes the
    /// metrics and writes <c>results.json</c>, the markdown and the pictures. Progress goes to <paramref name="log"/>.
    /// </summary>
    public static async Task<EvalReport> RunAsync(EvalOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var clock = Stopwatch.StartNew();
        DateTimeOffset started = DateTimeOffset.UtcNow;
        Directory.CreateDirectory(options.Out);

        using ClassifierModel classifier = LoadOrTrainClassifier(options, log, cancellationToken);
        log.WriteLine("[eval] embedding the Fashion-MNIST test set and the real-vs-real floor");
        FashionMnist test = FashionMnist.Load(options.DataDirectory, train: false);
        FashionMnist train = FashionMnist.Load(options.DataDirectory, train: true);
        ClassifierOutputs testOutputs = classifier.Analyze(test.Images, test.Count);
        FeatureStatistics testStats = FeatureStatistics.FromRows(testOutputs.Features, test.Count, FashionClassifier.FeatureDim);
        double classifierAccuracy = Accuracy(testOutputs.Predictions, test.Labels);
        var scorer = new Scorer(classifier, testStats, train, (int)(options.Seed % int.MaxValue));

        using IDenoiserBackend backend = OpenBackend(options, options.Model);
        log.WriteLine($"[eval] {options.Model} on {backend.Name} ({backend.ExecutionProvider})");
        ModelManifest manifest = backend.Manifest;
        CheckFits(manifest, options.Model);
        if (options.BaselineModel is string baselineDir)
        {
            // Checked before the hour of sampling, not after it.
            CheckComparable(ModelManifest.Load(Path.Combine(baselineDir, ModelPackage.ManifestFileName)), baselineDir, manifest);
        }
        int minLayers = options.MinLayers ?? manifest.DefaultMinLayers;
        int depth = manifest.Depth;
        (CertaintyProbe probe, List<ThresholdChoice> choices, float[] thresholds) = SweepThresholds(backend, test, options, minLayers, log);

        var plan = new Plan(options, manifest, thresholds, minLayers);
        var progress = new Progress(log, plan.EstimatedWork);
        var runs = new List<MeasuredRun>();

        async Task<MeasuredRun> Run(IDenoiserBackend b, GenerationSpec spec, MeasuredRun? reference)
        {
            progress.Stage($"{runs.Count + 1}/{plan.EstimatedRuns}+ {spec.Id}");
            GeneratedSet set = await GeneratedSet.GenerateAsync(b, spec, options.Seed, options.JobImages, options.MaxBatchRows, progress, cancellationToken);
            MeasuredRun measured = scorer.Measure(set, reference);
            runs.Add(measured);
            return measured;
        }

        // 1. The main sampler: full depth, then per-sample and per-batch exits at every threshold.
        MeasuredRun full = await Run(backend, plan.Full(options.Sampler, options.Steps, options.Samples), null);
        var perSample = new List<MeasuredRun>();
        foreach (float t in thresholds)
        {
            perSample.Add(await Run(backend, plan.Adaptive(options.Sampler, options.Steps, options.Samples, t, perBatch: false), full));
        }

        // The threshold of the targets, pictures and sampler comparison: given, or the fewest layers within the bar.
        SelectionRecord selection = options.Threshold is float chosen
            ? ThresholdSelection.Given(full.Record, perSample.First(r => r.Record.Threshold == chosen).Record)
            : ThresholdSelection.Choose(full.Record, [.. perSample.Select(r => r.Record)]);
        selection = selection with { MinLayers = minLayers };
        float pictureThreshold = selection.Threshold;
        MeasuredRun pictureRun = perSample.First(r => r.Record.Threshold == pictureThreshold);
        HeatmapRecord heatmap = Heatmap(pictureRun.Set);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[eval] chosen threshold {pictureThreshold:0.####} ({selection.Rule}; quality bar {(selection.MetQualityBar ? "met" : "not met")} on N = {options.Samples})"));

        var perBatch = new List<MeasuredRun>();
        if (options.PerBatch)
        {
            foreach (float t in thresholds)
            {
                perBatch.Add(await Run(backend, plan.Adaptive(options.Sampler, options.Steps, options.Samples, t, perBatch: true), full));
            }
        }

        // 2. Static truncation at the whole depths around every per-sample point.
        var statics = new List<MeasuredRun>();
        if (options.StaticTruncation)
        {
            var depths = new SortedSet<int>();
            foreach (MeasuredRun r in perSample)
            {
                depths.Add(Math.Clamp((int)Math.Floor(r.Record.MeanLayers), 1, depth));
                depths.Add(Math.Clamp((int)Math.Ceiling(r.Record.MeanLayers), 1, depth));
            }
            depths.Remove(depth);
            progress.Replan(((long)depths.Count - plan.EstimatedStaticRuns) * options.Samples * options.Steps);
            foreach (int d in depths)
            {
                statics.Add(await Run(backend, plan.Static(d), full));
            }
        }

        // 2b. A timestep schedule at the chosen threshold's depth: does the per-sample decision beat a depth that
        // depends on the step alone?
        if (options.TimestepSchedule)
        {
            await Run(backend, plan.Schedule(ScheduleOf(heatmap, depth), pictureThreshold), full);
        }

        // 3. Fewer steps: each sampler with and without exits at the picture threshold.
        var stepRuns = new List<MeasuredRun>();
        if (options.StepComparison)
        {
            foreach ((SamplerKind sampler, int steps, int samples) in plan.SamplerComparisons)
            {
                if (sampler == options.Sampler && steps == options.Steps && samples == options.Samples)
                {
                    stepRuns.Add(full);
                    stepRuns.Add(perSample.First(r => r.Record.Threshold == pictureThreshold));
                    continue;
                }
                MeasuredRun stepFull = await Run(backend, plan.Full(sampler, steps, samples, group: "steps"), null);
                stepRuns.Add(stepFull);
                stepRuns.Add(await Run(backend, plan.Adaptive(sampler, steps, samples, pictureThreshold, perBatch: false, group: "steps"), stepFull));
            }
        }

        // 4. The targets: full depth and the chosen threshold on a larger sample (same seeds, extended).
        MeasuredRun targetFull = full, targetAdaptive = perSample.First(r => r.Record.Threshold == pictureThreshold);
        if (options.TargetSamples > 0 && options.TargetSamples != options.Samples)
        {
            targetFull = await Run(backend, plan.Full(options.Sampler, options.Steps, options.TargetSamples, group: "target"), null);
            targetAdaptive = await Run(backend, plan.Adaptive(options.Sampler, options.Steps, options.TargetSamples, pictureThreshold, perBatch: false, group: "target"), targetFull);
        }

        // 5. A second package (e.g. exit heads without the layer-wise loss), swept the same way.
        var baseline = new List<MeasuredRun>();
        ProbeRecord? baselineProbe = null;
        if (options.BaselineModel is string baselinePath)
        {
            using IDenoiserBackend other = OpenBackend(options, baselinePath);
            CheckComparable(other.Manifest, baselinePath, manifest);
            // Its certainties are calibrated differently: the same thresholds would land at other depths, so its own
            // probe picks the thresholds that hit the same --auto-targets (given --thresholds are swept as they are).
            (CertaintyProbe otherProbe, List<ThresholdChoice> otherChoices, float[] otherThresholds) = SweepThresholds(other, test, options, minLayers, log);
            baselineProbe = new ProbeRecord(otherProbe.Rows, otherProbe.MeanPerLayer(), otherChoices);
            progress.Replan((long)(otherThresholds.Length - thresholds.Length) * options.Samples * options.Steps);
            MeasuredRun otherFull = await Run(other, plan.Full(options.Sampler, options.Steps, options.Samples, group: "baseline", package: options.BaselineLabel), null);
            baseline.Add(otherFull);
            foreach (float t in otherThresholds)
            {
                baseline.Add(await Run(other, plan.Adaptive(options.Sampler, options.Steps, options.Samples, t, perBatch: false, group: "baseline", package: options.BaselineLabel), otherFull));
            }
        }

        // 6. Unconditional samples for the unconditional grid.
        MeasuredRun? uncondFull = null, uncondAdaptive = null;
        if (options.UnconditionalSamples > 0 && manifest.SupportsUnconditional)
        {
            uncondFull = await Run(backend, plan.Unconditional(ExitPolicySettings.Full, "uncond-full"), null);
            uncondAdaptive = await Run(backend, plan.Unconditional(plan.AdaptivePolicy(pictureThreshold, false), $"uncond-t{Plan.Tag(pictureThreshold)}"), uncondFull);
        }
        progress.Stage("writing the report");

        List<EqualDepthRecord> equalDepth = EqualDepth(perSample, perBatch, statics, full, baseline);
        double? targetFloor = targetFull.Record.Samples >= 2 ? scorer.Floor(targetFull.Record.Samples) : null;
        var targets = new TargetsRecord(targetFull.Record.Samples, targetFull.Record.Id, targetAdaptive.Record.Id, selection,
            TargetChecks.Judge(targetFull.Record, targetAdaptive.Record, targetFloor, equalDepth.FirstOrDefault(e => e.Threshold == pictureThreshold), depth));
        var report = new EvalReport
        {
            Command = options.CommandLine,
            StartedUtc = started,
            Model = new ModelInfo(manifest.Name, options.Model, manifest.Description, manifest.Weights.Sha256, depth, TrainingSteps(manifest), options.WeightsNote ?? WeightsNote(manifest)) { ClassNames = manifest.ClassNames },
            Classifier = new ClassifierInfo(ClassifierPathForReport(options.ClassifierPath), classifierAccuracy, classifier.Metadata),
            Settings = new EvalSettings(options.Samples, options.TargetSamples, options.Sampler, options.Steps, thresholds, pictureThreshold, minLayers, options.GuidanceFor(manifest), options.Seed,
                options.JobImages, options.ResolvedDdpmSamples, options.DdpmSteps, options.DdimSteps, options.DpmSolverSteps) { Backend = backend.Name },
            Floors = scorer.Floors,
            Probe = new ProbeRecord(probe.Rows, probe.MeanPerLayer(), choices),
            BaselineProbe = baselineProbe,
            Runs = [.. runs.Select(r => r.Record)],
            EqualDepth = equalDepth,
            Targets = targets,
            Heatmap = heatmap,
            Pictures = [],
        };
        var pictures = ReportPictures.Write(options.Out, report, full.Set, pictureRun.Set, uncondFull?.Set, uncondAdaptive?.Set, manifest);
        report = report with { Pictures = pictures };
        report.WallSeconds = clock.Elapsed.TotalSeconds;
        await File.WriteAllTextAsync(Path.Combine(options.Out, ResultsFileName), JsonSerializer.Serialize(report, JsonOutput.Options) + "\n", cancellationToken);
        string markdownPath = await WriteMarkdownAsync(report, options, cancellationToken);
        if (options.WriteDefault)
        {
            ManifestUpdate.WriteDefaultThreshold(options.Model, selection, options.CommandLine, started);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[eval] wrote defaultThreshold {pictureThreshold:0.####} into {Path.Combine(options.Model, ModelPackage.ManifestFileName)}"));
        }
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[eval] done in {clock.Elapsed.TotalMinutes:F1} min: {markdownPath}, {Path.Combine(options.Out, ResultsFileName)}"));
        return report;
    }

    /// <summary>
    /// The thresholds swept on one package: <c>--thresholds</c> as given, or (auto) the ones its own certainty probe
    /// says save each of <c>--auto-targets</c>, plus the package's default threshold; <c>--threshold</c> is added.
    /// </summary>
    private static (CertaintyProbe Probe, List<ThresholdChoice> Choices, float[] Thresholds) SweepThresholds(
        IDenoiserBackend backend, FashionMnist test, EvalOptions options, int minLayers, TextWriter log)
    {
        log.WriteLine($"[eval] certainty probe of {backend.Manifest.Name} on {options.ProbeRows} noised test images");
        CertaintyProbe probe = CertaintyProbe.Run(backend, test, options.ProbeRows, (int)(options.Seed % int.MaxValue));
        var choices = new List<ThresholdChoice>();
        float[] thresholds;
        if (options.Thresholds is null)
        {
            foreach (float target in options.AutoTargets)
            {
                float t = probe.ThresholdFor(backend.Manifest.Depth * (1.0 - target), minLayers);
                choices.Add(new ThresholdChoice(target, t, probe.MeanExit(t, minLayers)));
            }
            thresholds = [.. choices.Select(c => c.Threshold).Append(backend.Manifest.DefaultThreshold)];
        }
        else
        {
            thresholds = [.. options.Thresholds];
        }
        if (options.Threshold is float given)
        {
            thresholds = [.. thresholds, given];
        }
        return (probe, choices, [.. thresholds.Distinct().Order()]);
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

    private static ClassifierModel LoadOrTrainClassifier(EvalOptions options, TextWriter log, CancellationToken cancellationToken)
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
    private static IDenoiserBackend OpenBackend(EvalOptions options, string packageDir) => options.Backend switch
    {
        EvalOptions.BackendTorchSharp => TorchSharpBackend.Load(packageDir, new TorchSharpBackendOptions { Threads = options.Threads }),
        _ => OnnxBackend.Load(packageDir, new OnnxBackendOptions { Threads = options.Threads, ReexportWhenStale = true }),
    };

    private static void CheckFits(ModelManifest manifest, string path)
    {
        if (manifest.Channels != 1 || manifest.Height != FashionClassifier.Side || manifest.Width != FashionClassifier.Side || manifest.NumClasses != FashionClassifier.Classes)
        {
            throw new InvalidDataException($"{path}: the evaluation's classifier needs 1×28×28 images in 10 classes (Fashion-MNIST); the model makes {manifest.Channels}×{manifest.Height}×{manifest.Width} in {manifest.NumClasses}");
        }
    }

    /// <summary>A baseline package is compared at equal mean depth: it must make the same images with as many layers.</summary>
    private static void CheckComparable(ModelManifest baseline, string path, ModelManifest model)
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

    private static long? TrainingSteps(ModelManifest manifest) => TrainingSteps(manifest.Training);

    private static long? TrainingSteps(JsonElement? training) =>
        training is JsonElement t && t.ValueKind == JsonValueKind.Object && t.TryGetProperty("steps", out JsonElement s) && s.TryGetInt64(out long steps) ? steps : null;

    internal static string WeightsNote(ModelManifest manifest)
    {
        // A package from train-uem: its UEMs were retrained on the backbone recorded under "backbone".
        if (manifest.Training is JsonElement u && u.ValueKind == JsonValueKind.Object && u.TryGetProperty("uemRetrained", out JsonElement uem)
            && u.TryGetProperty("backbone", out JsonElement backbone))
        {
            string target = uem.TryGetProperty("target", out JsonElement tg) ? tg.GetString() ?? "?" : "?";
            string uemSteps = uem.TryGetProperty("steps", out JsonElement us) ? us.ToString() : "?";
            string from = uem.TryGetProperty("fromSha256", out JsonElement fs) && fs.GetString() is string sha ? sha[..Math.Min(12, sha.Length)] : "?";
            string backboneState = Describe(manifest with { Training = backbone });
            return string.Create(CultureInfo.InvariantCulture, $"UEMs retrained {uemSteps} steps against the {target} reference on the frozen backbone of weights {from} ({backboneState}); weights sha256 {Short(manifest.Weights.Sha256)}");
        }
        return $"{Describe(manifest)}; weights sha256 {Short(manifest.Weights.Sha256)}";
    }

    private static string Short(string? sha) => sha?[..Math.Min(12, sha.Length)] ?? "?";

    private static string Describe(ModelManifest manifest)
    {
        long? steps = TrainingSteps(manifest);
        string state = steps switch
        {
            null => "training state not recorded",
            0 => "untrained (random initialisation)",
            _ => string.Create(CultureInfo.InvariantCulture, $"trained {steps} steps"),
        };
        if (manifest.Training is JsonElement t && t.ValueKind == JsonValueKind.Object)
        {
            if (t.TryGetProperty("epochs", out JsonElement e) && e.ValueKind == JsonValueKind.Number)
            {
                state += string.Create(CultureInfo.InvariantCulture, $" ({e.GetDouble():0.##} epochs");
                state += t.TryGetProperty("plannedEpochs", out JsonElement p) && p.ValueKind == JsonValueKind.Number
                    ? string.Create(CultureInfo.InvariantCulture, $" of {p.GetDouble():0.##} planned)")
                    : ")";
            }
            if (t.TryGetProperty("finished", out JsonElement f) && f.ValueKind == JsonValueKind.False)
            {
                state += ", training unfinished";
            }
        }
        return state;
    }

    private static List<EqualDepthRecord> EqualDepth(List<MeasuredRun> perSample, List<MeasuredRun> perBatch, List<MeasuredRun> statics, MeasuredRun full, List<MeasuredRun> baseline)
    {
        var staticRuns = statics.Append(full).Select(r => r.Record).ToList();
        var batchCurve = Curves.Curve(perBatch.Select(r => r.Record), r => r.Fid);
        var staticCurve = Curves.Curve(staticRuns, r => r.Fid);
        var staticAccuracy = Curves.Curve(staticRuns, r => r.ClassAccuracy);
        var baselineCurve = Curves.Curve(baseline.Select(r => r.Record), r => r.Fid);
        var rows = new List<EqualDepthRecord>();
        foreach (MeasuredRun r in perSample)
        {
            double m = r.Record.MeanLayers;
            rows.Add(new EqualDepthRecord(r.Record.Threshold ?? 0, m, r.Record.Fid ?? double.NaN,
                Curves.Interpolate(batchCurve, m), Curves.Interpolate(staticCurve, m), Curves.Interpolate(baselineCurve, m),
                r.Record.ClassAccuracy, Curves.Interpolate(staticAccuracy, m)));
        }
        return rows;
    }

    /// <summary>The depth of each step: the mean exit layer of the per-sample run at that step, rounded half up, in 1..depth.</summary>
    internal static int[] ScheduleOf(HeatmapRecord heatmap, int depth) =>
        [.. heatmap.MeanExitLayer.Select(m => Math.Clamp((int)Math.Round(m, MidpointRounding.AwayFromZero), 1, depth))];

    private static HeatmapRecord Heatmap(GeneratedSet set)
    {
        int steps = set.Timesteps.Length, depth = set.ExitCounts.GetLength(1);
        var fractions = new double[steps][];
        var mean = new double[steps];
        for (int s = 0; s < steps; s++)
        {
            fractions[s] = new double[depth];
            long total = 0;
            double sum = 0;
            for (int l = 0; l < depth; l++)
            {
                total += set.ExitCounts[s, l];
                sum += set.ExitCounts[s, l] * (double)(l + 1);
            }
            for (int l = 0; l < depth; l++)
            {
                fractions[s][l] = total == 0 ? 0 : (double)set.ExitCounts[s, l] / total;
            }
            mean[s] = total == 0 ? 0 : sum / total;
        }
        return new HeatmapRecord(set.Spec.Id, set.Timesteps, fractions, mean);
    }

    // The shipped classifier is named as such wherever the tools were copied to; any other by its path.
    private static string ClassifierPathForReport(string path) =>
        Path.GetFullPath(path) == Path.GetFullPath(ClassifierModel.DefaultPath) ? $"classifier/{ClassifierModel.FileName}" : RelativeToWorkingDirectory(path);

    // Reports name paths as the user typed them from the working directory, never a machine's absolute path.
    private static string RelativeToWorkingDirectory(string path)
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? Path.GetFileName(path) : relative;
    }
}
