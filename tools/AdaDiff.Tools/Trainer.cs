using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp.Safetensors;
using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Captions;
using AdaDiff.Engine;
using AdaDiff.Engine.Text;
using AdaDiff.Packaging;
using static TorchSharp.torch;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Tools;

/// <summary>
/// Trains the Fashion-MNIST U-ViT with the AdaDiff loss: AdamW with linear warm-up, EMA of the weights,
/// condition dropout (to the null class, or for a text model to the all-padding prompt), full checkpoints (model, EMA,
/// optimizer, step; a text model's prompt vocabulary) that --resume continues from, and the EMA weights written as a
/// model package at every checkpoint. A text model (<c>--text</c>) learns from captions of each image's label and
/// measured attributes, drawn afresh each epoch (<see cref="CaptionConditions"/>).
/// </summary>
internal sealed class Trainer : IDisposable
{
    private const string CheckpointDir = "checkpoint";

    private readonly TrainOptions options;
    private readonly ModelManifest config; // the architecture (UViTConfig.FashionMnist or FashionMnistText)
    private readonly PromptVocabulary? vocabulary; // a text model's
    private readonly UViT model;
    private readonly UViT ema;
    private readonly AdamW optimizer;
    private readonly StreamWriter log;
    private readonly int nullClass;
    private readonly string originalCommand;

    // The commands the run was trained with and the step each took over at (a resume may change --lr or --epochs).
    private readonly List<TrainingSegment> segments = [];
    private long step;
    private long warmupFrom; // the first step of the learning-rate warm-up: 0, or where --init-from started a fresh optimizer
    private double lossAverage = double.NaN;

    public Trainer(TrainOptions options)
    {
        this.options = options;
        if (!(options.LabelDropout >= 0 && options.LabelDropout < 1))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--cfg-dropout must be in [0, 1); was {options.LabelDropout}"));
        }
        Directory.CreateDirectory(options.OutDir);
        log = new StreamWriter(Path.Combine(options.OutDir, "train.log"), append: true) { AutoFlush = true };
        TrainingStep.ConfigureProcess(options.Threads);

        string checkpoint = Path.Combine(options.OutDir, CheckpointDir);
        JsonElement? state = null;
        (PackageWeights Weights, JsonElement Training)? start = null;
        if (options.Resume && options.InitFrom is not null)
        {
            throw new ArgumentException("--resume continues OUT/checkpoint and --init-from starts a new run from a package: give one of them");
        }
        if (options.Resume)
        {
            (JsonElement saved, config, vocabulary) = ReadCheckpoint(checkpoint, options);
            state = saved;
        }
        else if (options.InitFrom is string from)
        {
            if (File.Exists(Path.Combine(checkpoint, "state.json")))
            {
                throw new ArgumentException($"{options.OutDir} holds a checkpoint: continue it with --resume, or start from {from} in another --out");
            }
            (PackageWeights weights, JsonElement training, config, vocabulary) = ReadPackageStart(from, options);
            start = (weights, training);
        }
        else
        {
            (config, vocabulary) = NewArchitecture(options);
        }
        nullClass = config.NumClasses;

        model = NewModel();
        ema = new UViT(config);
        optimizer = new AdamW(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), 0.9, 0.999, 1e-8, options.WeightDecay);
        originalCommand = state is JsonElement s ? RestoreCheckpoint(s, checkpoint)
            : start is { } started ? StartFromPackage(started.Weights, started.Training)
            : StartFresh();
        foreach (Tensor p in ema.parameters())
        {
            p.requires_grad = false;
        }
        model.train();
        ema.eval();
    }

    /// <summary>
    /// Trains until the requested epochs (or --max-steps) are done, or until <paramref name="stop"/> is
    /// signalled: then the step in flight finishes and a checkpoint and the package are written, so that
    /// stopping the job (SIGTERM, Ctrl+C) loses nothing and --resume continues from that exact step.
    /// </summary>
    public int Run(CancellationToken stop = default)
    {
        FashionMnist data = FashionMnist.Load(options.DataDir, train: true);
        int batch = options.Batch;
        using var training = new TrainingStep(data, batch, options.Seed, FashionMnistModel.NoiseSchedule, Conditions(), options.LabelDropout, options.HorizontalFlip, options.LearningRate, options.WarmupSteps, warmupFrom);
        int stepsPerEpoch = training.StepsPerEpoch;
        long totalSteps = (long)options.Epochs * stepsPerEpoch;
        long stopAt = options.MaxSteps > 0 ? Math.Min(totalSteps, step + options.MaxSteps) : totalSteps;
        Log($"start: step {step}/{totalSteps} ({stepsPerEpoch} steps/epoch, batch {batch}, {options.Threads} threads), config {JsonSerializer.Serialize(FashionMnistModel.ConfigRecord(config), ModelManifest.JsonOptions).Replace("\n", "", StringComparison.Ordinal).Replace("  ", "", StringComparison.Ordinal)}");
        if (step >= totalSteps)
        {
            Log("nothing to do: already trained for the requested epochs");
            WritePackage(stepsPerEpoch, totalSteps, 0, finished: true);
            return 0;
        }

        var clock = Stopwatch.StartNew();
        var checkpointClock = Stopwatch.StartNew();
        var windowClock = Stopwatch.StartNew();
        long windowStart = step;
        double imagesPerSecond = 0;
        bool interactive = !Console.IsErrorRedirected;

        bool checkpointed = true;
        long lastSaved = step;
        while (step < stopAt && !stop.IsCancellationRequested)
        {
            double loss = training.Run(step, model, optimizer, AdaDiffLossOf, options.ClipGradNorm);
            if (!double.IsFinite(loss))
            {
                string message = string.Create(CultureInfo.InvariantCulture,
                    $"step {step + 1}: the loss is {loss}; stopping without writing a checkpoint or package, so the last ones written (step {lastSaved}) stay as they were. Resume from there (--resume) with a lower --lr");
                Log(message);
                throw new TrainingDivergedException(message);
            }
            UpdateEma();
            checkpointed = false;
            lossAverage = double.IsNaN(lossAverage) ? loss : 0.98 * lossAverage + 0.02 * loss;
            step++;

            if (windowClock.Elapsed.TotalSeconds >= 5 || step == stopAt)
            {
                imagesPerSecond = (step - windowStart) * batch / windowClock.Elapsed.TotalSeconds;
                windowStart = step;
                windowClock.Restart();
            }
            double eta = imagesPerSecond > 0 ? (totalSteps - step) * batch / imagesPerSecond : 0;
            string line = string.Create(CultureInfo.InvariantCulture,
                $"step {step}/{totalSteps} epoch {(double)step / stepsPerEpoch:F2}/{options.Epochs} loss {loss:F4} (avg {lossAverage:F4}) {imagesPerSecond:F1} img/s ETA {FormatDuration(eta)}");
            if (interactive)
            {
                Console.Error.Write("\r" + line + "   ");
            }
            if (step % options.LogEvery == 0)
            {
                Log(line);
                if (!interactive)
                {
                    Console.Error.WriteLine(line);
                }
            }
            if (checkpointClock.Elapsed.TotalMinutes >= options.CheckpointMinutes || step == stopAt)
            {
                SaveCheckpoint();
                WritePackage(stepsPerEpoch, totalSteps, imagesPerSecond, finished: step == totalSteps);
                checkpointClock.Restart();
                checkpointed = true;
                lastSaved = step;
            }
        }
        if (!checkpointed)
        {
            Log("stop requested: writing a checkpoint before exiting");
            SaveCheckpoint();
            WritePackage(stepsPerEpoch, totalSteps, imagesPerSecond, finished: false);
        }
        if (interactive)
        {
            Console.Error.WriteLine();
        }
        Log(string.Create(CultureInfo.InvariantCulture, $"stopped at step {step}/{totalSteps} after {clock.Elapsed.TotalMinutes:F1} min"));
        return 0;
    }

    public void Dispose()
    {
        optimizer.Dispose();
        model.Dispose();
        ema.Dispose();
        log.Dispose();
    }

    /// <summary>
    /// The checkpoint's <c>state.json</c> for --resume, with the architecture (and a text model's vocabulary) it
    /// records; refused unless --text, --seed, --batch and the layer-wise loss match the run it continues.
    /// </summary>
    private static (JsonElement State, ModelManifest Config, PromptVocabulary? Vocabulary) ReadCheckpoint(string checkpoint, TrainOptions options)
    {
        string statePath = Path.Combine(checkpoint, "state.json");
        if (!File.Exists(statePath))
        {
            throw new FileNotFoundException($"{statePath}: no checkpoint to resume from", statePath);
        }
        JsonElement state = JsonDocument.Parse(File.ReadAllText(statePath)).RootElement;
        bool checkpointText = state.GetProperty("config").TryGetProperty("text", out _);
        if (checkpointText != options.Text)
        {
            throw new ArgumentException($"{statePath}: the checkpoint is of a {(checkpointText ? "text" : "class")} model; resume it {(checkpointText ? "with" : "without")} --text");
        }
        PromptVocabulary? vocabulary = checkpointText ? PromptVocabulary.Load(Path.Combine(checkpoint, PromptVocabulary.FileName)) : null;
        ModelManifest config = FashionMnistModel.FromConfigRecord(state.GetProperty("config"), statePath, vocabulary);
        if (state.GetProperty("seed").GetInt32() != options.Seed || state.GetProperty("batch").GetInt32() != options.Batch)
        {
            throw new ArgumentException($"{statePath}: --seed and --batch must match the checkpoint (seed {state.GetProperty("seed")}, batch {state.GetProperty("batch")})");
        }
        // Checkpoints from before the option carry no value: they were trained with the layer-wise loss.
        bool checkpointLayerwise = !(state.TryGetProperty("options", out JsonElement saved) && saved.TryGetProperty("layerwiseLoss", out JsonElement lw) && lw.ValueKind == JsonValueKind.False);
        if (checkpointLayerwise != options.LayerwiseLoss)
        {
            throw new ArgumentException($"{statePath}: the checkpoint was trained {(checkpointLayerwise ? "with" : "without")} the layer-wise loss; resume it {(checkpointLayerwise ? "without" : "with")} --no-layerwise");
        }
        return (state, config, vocabulary);
    }

    /// <summary>
    /// The package --init-from names, read for a new run: its weights (hash checked), its training record and the
    /// architecture (and a text model's vocabulary) that record names; refused unless --text, --seed, --batch and the
    /// layer-wise loss match the training it continues.
    /// </summary>
    private static (PackageWeights Weights, JsonElement Training, ModelManifest Config, PromptVocabulary? Vocabulary) ReadPackageStart(string packageDir, TrainOptions options)
    {
        PackageWeights weights = PackageWeights.Read(packageDir, verifySha256: true);
        string manifestPath = Path.Combine(packageDir, ModelPackage.ManifestFileName);
        if (weights.Manifest.Training is not JsonElement training || training.ValueKind != JsonValueKind.Object || !training.TryGetProperty("steps", out JsonElement steps) || !steps.TryGetInt64(out _))
        {
            throw new InvalidDataException($"{manifestPath}: no training record with its steps to continue from (a package written by adadiff-tools train has one)");
        }
        bool packageText = weights.Manifest.Text is not null;
        if (packageText != options.Text)
        {
            throw new ArgumentException($"{manifestPath}: the package is a {(packageText ? "text" : "class")} model; start from it {(packageText ? "with" : "without")} --text");
        }
        PromptVocabulary? vocabulary = packageText ? PromptVocabulary.Load(Path.Combine(packageDir, PromptVocabulary.FileName)) : null;
        ModelManifest config = FashionMnistModel.FromConfigRecord(training.GetProperty("config"), manifestPath, vocabulary);
        if (!training.TryGetProperty("seed", out JsonElement seed) || seed.GetInt32() != options.Seed || !training.TryGetProperty("batch", out JsonElement batch) || batch.GetInt32() != options.Batch)
        {
            throw new ArgumentException($"{manifestPath}: --seed and --batch must match the package's training (seed {(training.TryGetProperty("seed", out JsonElement s) ? s : "none")}, batch {(training.TryGetProperty("batch", out JsonElement b) ? b : "none")})");
        }
        bool packageLayerwise = !(training.TryGetProperty("layerwiseLoss", out JsonElement lw) && lw.ValueKind == JsonValueKind.False);
        if (packageLayerwise != options.LayerwiseLoss)
        {
            throw new ArgumentException($"{manifestPath}: the package was trained {(packageLayerwise ? "with" : "without")} the layer-wise loss; start from it {(packageLayerwise ? "without" : "with")} --no-layerwise");
        }
        return (weights, training.Clone(), config, vocabulary);
    }

    /// <summary>The architecture of a new run from the options (and, for --text, the caption vocabulary built for it).</summary>
    private static (ModelManifest Config, PromptVocabulary? Vocabulary) NewArchitecture(TrainOptions options)
    {
        if (!options.Text)
        {
            return (UViTConfig.FashionMnist(options.Dim, options.Depth, options.Heads), null);
        }
        PromptVocabulary vocabulary = CaptionVocabulary.Build(new CaptionGenerator(FashionMnistModel.ClassNames));
        var text = TextConditioning.For(vocabulary, options.TextDim, options.TextDepth, options.TextHeads);
        return (UViTConfig.FashionMnistText(text, options.Dim, options.Depth, options.Heads), vocabulary);
    }

    /// <summary>The model to train, initialised from --seed; refused (the log closed) when its weights would not fit in a model package.</summary>
    private UViT NewModel()
    {
        manual_seed(options.Seed);
        var created = new UViT(config);
        long bytes = PackageWriter.WeightBytes(created);
        if (bytes > PackageWriter.MaxWeightBytes)
        {
            created.Dispose();
            log.Dispose();
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{bytes / 1e6:F1} MB of float32 weights; a model package may have at most {PackageWriter.MaxWeightBytes / 1e6:F0} MB: lower --dim or --depth{(options.Text ? ", --text-dim or --text-depth" : "")}"));
        }
        return created;
    }

    /// <summary>
    /// Loads the checkpoint's weights, EMA, optimizer state, step and loss average, and its training segments (one
    /// more when this run's command differs from the last); returns the command the run was started with.
    /// </summary>
    private string RestoreCheckpoint(JsonElement state, string checkpoint)
    {
        SafetensorsTorch.LoadInto(model, SafetensorsFile.Read(Path.Combine(checkpoint, "model.safetensors")), Path.Combine(checkpoint, "model.safetensors"));
        SafetensorsTorch.LoadInto(ema, SafetensorsFile.Read(Path.Combine(checkpoint, "ema.safetensors")), Path.Combine(checkpoint, "ema.safetensors"));
        step = state.GetProperty("step").GetInt64();
        string optPath = Path.Combine(checkpoint, "optimizer.safetensors");
        optimizer.LoadState(SafetensorsFile.Read(optPath), step, optPath);
        lossAverage = state.GetProperty("lossAverage").GetDouble();
        warmupFrom = state.TryGetProperty("warmupFrom", out JsonElement w) ? w.GetInt64() : 0;
        string command = state.TryGetProperty("command", out JsonElement c) ? c.GetString() ?? options.Command : options.Command;
        if (state.TryGetProperty("segments", out JsonElement saved) && saved.ValueKind == JsonValueKind.Array)
        {
            segments.AddRange(saved.Deserialize<List<TrainingSegment>>(ModelManifest.JsonOptions) ?? []);
        }
        if (segments.Count == 0)
        {
            segments.Add(new TrainingSegment(0, command)); // a checkpoint from before segments were kept
        }
        if (segments[^1].Command != options.Command)
        {
            segments.Add(new TrainingSegment(step, options.Command));
        }
        return command;
    }

    /// <summary>
    /// A new run from a package (--init-from): model and EMA start as its (EMA) weights, the step count and segments
    /// continue its training record's, with one more segment for this command, and the fresh AdamW is warmed up again
    /// from this step; returns the command the package's training was started with.
    /// </summary>
    private string StartFromPackage(PackageWeights weights, JsonElement training)
    {
        SafetensorsTorch.LoadInto(model, SafetensorsFile.Parse(weights.Bytes, weights.Path), weights.Path);
        CopyWeights(model, ema);
        step = training.GetProperty("steps").GetInt64();
        warmupFrom = step;
        if (training.TryGetProperty("segments", out JsonElement saved) && saved.ValueKind == JsonValueKind.Array)
        {
            segments.AddRange(saved.Deserialize<List<TrainingSegment>>(ModelManifest.JsonOptions) ?? []);
        }
        string command = training.TryGetProperty("command", out JsonElement c) ? c.GetString() ?? options.Command : options.Command;
        if (segments.Count == 0)
        {
            segments.Add(new TrainingSegment(0, command));
        }
        segments.Add(new TrainingSegment(step, options.Command));
        return command;
    }

    /// <summary>A new run: the EMA starts as the model's weights, one segment for this command; returns the command.</summary>
    private string StartFresh()
    {
        CopyWeights(model, ema);
        segments.Add(new TrainingSegment(0, options.Command));
        return options.Command;
    }

    /// <summary>The rows' conditions: the labels, or a text model's captions of the training split (measured here).</summary>
    private ITrainingConditions Conditions() => vocabulary is null
        ? new ClassConditions(nullClass)
        : new CaptionConditions(new CaptionGenerator(FashionMnistModel.ClassNames), vocabulary, FashionMnistImages.Load(options.DataDir, train: true), options.Seed);

    /// <summary>The AdaDiff loss of the model on a noised batch (layer-wise unless the ablation asks otherwise).</summary>
    private Tensor AdaDiffLossOf(NoisedBatch batch)
    {
        (Tensor[] predictions, Tensor[] certainties) = model.ForwardExits(batch.Xt, batch.Timesteps.to_type(ScalarType.Float32), batch.Conditions); // ε̂_i, u_i: each [B, 1, 28, 28]
        (Tensor loss, _, _, _) = AdaDiffLoss.Compute(predictions, certainties, batch.Noise, options.LayerwiseLoss);
        return loss; // []
    }

    private void UpdateEma()
    {
        double decay = Math.Min(options.EmaDecay, (1.0 + step) / (10.0 + step));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var source = model.parameters().GetEnumerator();
        foreach (Tensor target in ema.parameters())
        {
            source.MoveNext();
            target.mul_(decay).add_(source.Current, 1 - decay);
        }
    }

    private void SaveCheckpoint()
    {
        string final = Path.Combine(options.OutDir, CheckpointDir);
        string tmp = final + ".tmp";
        string old = final + ".old";
        if (Directory.Exists(tmp))
        {
            Directory.Delete(tmp, recursive: true);
        }
        Directory.CreateDirectory(tmp);
        new SafetensorsFile(SafetensorsTorch.StateEntries(model)).Write(Path.Combine(tmp, "model.safetensors"));
        new SafetensorsFile(SafetensorsTorch.StateEntries(ema)).Write(Path.Combine(tmp, "ema.safetensors"));
        new SafetensorsFile(optimizer.StateEntries()).Write(Path.Combine(tmp, "optimizer.safetensors"));
        vocabulary?.Save(Path.Combine(tmp, PromptVocabulary.FileName));
        var state = new
        {
            step,
            optimizerSteps = optimizer.StepCount,
            warmupFrom,
            seed = options.Seed,
            batch = options.Batch,
            lossAverage,
            command = originalCommand,
            segments,
            config = FashionMnistModel.ConfigRecord(config),
            captions = CaptionsRecord(),
            options,
            savedAt = DateTimeOffset.UtcNow,
        };
        File.WriteAllText(Path.Combine(tmp, "state.json"), JsonSerializer.Serialize(state, ModelManifest.JsonOptions));
        if (Directory.Exists(old))
        {
            Directory.Delete(old, recursive: true);
        }
        if (Directory.Exists(final))
        {
            Directory.Move(final, old);
        }
        Directory.Move(tmp, final);
        if (Directory.Exists(old))
        {
            Directory.Delete(old, recursive: true);
        }
        Log($"checkpoint: step {step} → {final}");
    }

    private void WritePackage(int stepsPerEpoch, long totalSteps, double imagesPerSecond, bool finished)
    {
        if (options.PackageDir is null)
        {
            return;
        }
        double epochs = (double)step / stepsPerEpoch;
        string subject = vocabulary is null
            ? "U-ViT with AdaDiff exits for Fashion-MNIST (28x28 grey, 10 classes)"
            : $"Text-conditioned U-ViT with AdaDiff exits for Fashion-MNIST (28x28 grey; prompts of up to {vocabulary.MaxTokens} tokens from a {vocabulary.Count}-token vocabulary, trained on captions of each image's class and measured attributes)";
        string description = string.Create(CultureInfo.InvariantCulture,
            $"{subject}{(options.LayerwiseLoss ? "" : ", ablation baseline without the layer-wise loss (UEMs on a final-loss-only backbone)")}, EMA weights after {epochs:F2} of {options.Epochs} planned epochs ({step} steps of batch {options.Batch}){(finished ? "." : "; training in progress, quality still improving.")}");
        var training = new
        {
            command = originalCommand,
            lastResumedWith = options.Resume ? options.Command : null,
            segments,
            seed = options.Seed,
            config = FashionMnistModel.ConfigRecord(config),
            steps = step,
            epochs = Math.Round(epochs, 3),
            plannedEpochs = options.Epochs,
            finished,
            batch = options.Batch,
            learningRate = options.LearningRate,
            warmupSteps = options.WarmupSteps,
            warmupFrom,
            weightDecay = options.WeightDecay,
            emaDecay = options.EmaDecay,
            labelDropout = vocabulary is null ? options.LabelDropout : (double?)null,
            promptDropout = vocabulary is null ? (double?)null : options.LabelDropout,
            captions = CaptionsRecord(),
            clipGradNorm = options.ClipGradNorm,
            horizontalFlip = options.HorizontalFlip,
            layerwiseLoss = options.LayerwiseLoss,
            lossAverage = Math.Round(lossAverage, 5),
            imagesPerSecond = Math.Round(imagesPerSecond, 1),
            threads = options.Threads,
            data = "Fashion-MNIST train split (60,000 images, Debian dataset-fashion-mnist), scaled to [-1, 1]",
        };
        ModelManifest manifest = vocabulary is null
            ? FashionMnistModel.Manifest(config, description, options.LabelDropout)
            : FashionMnistModel.TextManifest(config, description, options.LabelDropout);
        PackageWriter.Save(options.PackageDir, manifest, training, ema);
        vocabulary?.Save(Path.Combine(options.PackageDir, PromptVocabulary.FileName));
        Log($"package: EMA weights at step {step} → {options.PackageDir}");
    }

    /// <summary>How a text model's captions are drawn (null for a class model): what a reader needs to make them again.</summary>
    private object? CaptionsRecord() => vocabulary is null ? null : new
    {
        generator = "AdaDiff.Captions.CaptionGenerator over the image's label and AttributeThresholds.FashionMnist buckets of its measured attributes",
        seedPerEpoch = "(seed << 32) | epoch",
        vocabularySha256 = vocabulary.Sha256,
        maxTokens = vocabulary.MaxTokens,
        unconditional = "all [PAD]",
    };

    private void Log(string message)
    {
        log.WriteLine($"{DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss} {message}");
    }

    private static void CopyWeights(UViT from, UViT to)
    {
        using var noGrad = no_grad();
        using var source = from.parameters().GetEnumerator();
        foreach (Tensor target in to.parameters())
        {
            source.MoveNext();
            target.copy_(source.Current);
        }
    }

    private static string FormatDuration(double seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h{span.Minutes:D2}m")
            : string.Create(CultureInfo.InvariantCulture, $"{span.Minutes}m{span.Seconds:D2}s");
    }
}

/// <summary>From <paramref name="FromStep"/> on, the run was trained by <paramref name="Command"/>.</summary>
internal sealed record TrainingSegment(long FromStep, string Command);
