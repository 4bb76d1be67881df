using System.Security.Cryptography;
using System.Text.Json;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine;
using AdaDiff.Packaging;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Tools.Tests;

/// <summary>
/// <c>adadiff-tools train</c> and <c>train-uem</c> as a user runs them, on a tiny U-ViT (D = 32, 3 layers) and the real
/// Fashion-MNIST files: a stopped and resumed run ends bit-identical to one that never stopped, SIGTERM loses nothing,
/// bad inputs get clear errors, and train-uem changes the UEMs alone.
/// </summary>
public sealed partial class TrainCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string root = Directory.CreateTempSubdirectory("adadiff-tools-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>A tiny model, one thread (bit-reproducible), a log line per step, no checkpoint by the clock.</summary>
    private static string[] Tiny(string run, params string[] extra) =>
    [
        "train", "--out", run, "--package", Path.Combine(run, "package"), "--dim", "32", "--depth", "3", "--heads", "2",
        "--batch", "8", "--epochs", "1", "--threads", "1", "--seed", "3", "--warmup", "2", "--log-every", "1",
        "--checkpoint-minutes", "60", .. extra,
    ];

    private Task<ToolsResult> Tools(params string[] args) => ToolsProcess.RunAsync(root, Timeout, args);

    [Fact]
    public async Task Train_StoppedAndResumed_EndsBitIdenticalToAnUninterruptedRun()
    {
        await AssertStopAndResumeIsBitIdentical(Tiny, 2, 4);
        // Steps change the weights, so 'identical' above is not the identity of two runs that did nothing.
        Assert.Equal(0, (await Tools(Tiny("one-step", "--max-steps", "1"))).ExitCode);
        Assert.NotEqual(Sha256(Path.Combine(root, "one-step/package/weights.safetensors")), Sha256(Path.Combine(root, "straight/package/weights.safetensors")));

        // The package says how it was made: the command of each segment, the seed, the step; its hash is the file's.
        string package = Path.Combine(root, "resumed", "package");
        ModelManifest manifest = ModelManifest.Load(Path.Combine(package, ModelPackage.ManifestFileName));
        Assert.Equal(3, manifest.Depth);
        Assert.Equal(Sha256(Path.Combine(package, "weights.safetensors")), manifest.Weights.Sha256);
        using JsonDocument json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(package, ModelPackage.ManifestFileName)));
        JsonElement training = json.RootElement.GetProperty("training");
        Assert.Equal(6, training.GetProperty("steps").GetInt32());
        Assert.Equal(3, training.GetProperty("seed").GetInt32());
        Assert.False(training.GetProperty("finished").GetBoolean());
        JsonElement segments = training.GetProperty("segments");
        Assert.Equal(2, segments.GetArrayLength());
        Assert.Equal(2, segments[1].GetProperty("fromStep").GetInt32());
        Assert.Contains("--resume", segments[1].GetProperty("command").GetString(), StringComparison.Ordinal);
        string log = await File.ReadAllTextAsync(Path.Combine(root, "resumed", "train.log"));
        Assert.Contains("start: step 2/7500", log, StringComparison.Ordinal);
        Assert.Contains("step 6/7500 epoch", log, StringComparison.Ordinal); // the progress line: loss, img/s, ETA
        Assert.Contains("ETA", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_Sigterm_WritesACheckpointAtTheStepInFlightAndResumes()
    {
        string run = Path.Combine(root, "stopped");
        string log = Path.Combine(run, "train.log");
        using (ToolsProcess training = ToolsProcess.Start(root, Tiny("stopped", "--max-steps", "100000")))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!(File.Exists(log) && (await ReadShared(log)).Contains("step 3/", StringComparison.Ordinal)))
            {
                Assert.True(clock.Elapsed < Timeout, "training did not reach step 3");
                await Task.Delay(100);
            }
            training.Terminate();
            ToolsResult result = await training.WaitAsync(Timeout);
            Assert.True(result.ExitCode == 0, result.Stderr);
        }
        string text = await File.ReadAllTextAsync(log);
        Assert.Contains("stop requested: writing a checkpoint", text, StringComparison.Ordinal);
        long stoppedAt = StepOf(run);
        Assert.InRange(stoppedAt, 3, 100_000 - 1);
        Assert.True(File.Exists(Path.Combine(run, "package", "weights.safetensors")));

        ToolsResult resumed = await Tools(Tiny("stopped", "--resume", "--max-steps", "1"));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(stoppedAt + 1, StepOf(run));
    }

    [Fact]
    public async Task Train_InitFrom_ContinuesAPackagesStepsWithAFreshOptimizer()
    {
        Assert.Equal(0, (await Tools(Tiny("source", "--max-steps", "2"))).ExitCode);
        string source = Path.Combine(root, "source", "package");
        string sourceWeights = Sha256(Path.Combine(source, "weights.safetensors"));

        // The checkpoint is gone: a new run continues from the package alone, at its step, with the warm-up restarted.
        ToolsResult started = await Tools(Tiny("continued", "--init-from", source, "--max-steps", "2"));
        Assert.True(started.ExitCode == 0, started.Stderr);
        string package = Path.Combine(root, "continued", "package");
        using (JsonDocument json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(package, ModelPackage.ManifestFileName))))
        {
            JsonElement training = json.RootElement.GetProperty("training");
            Assert.Equal(4, training.GetProperty("steps").GetInt32());
            Assert.Equal(2, training.GetProperty("warmupFrom").GetInt32());
            JsonElement segments = training.GetProperty("segments");
            Assert.Equal(2, segments.GetArrayLength());
            Assert.Equal(2, segments[1].GetProperty("fromStep").GetInt32());
            Assert.Contains("--init-from", segments[1].GetProperty("command").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("--init-from", training.GetProperty("command").GetString(), StringComparison.Ordinal);
        }
        Assert.Contains("start: step 2/7500", await File.ReadAllTextAsync(Path.Combine(root, "continued", "train.log")), StringComparison.Ordinal);
        Assert.NotEqual(sourceWeights, Sha256(Path.Combine(package, "weights.safetensors")));
        Assert.Equal(4, StepOf(Path.Combine(root, "continued")));
        // ... and the run it started resumes from its own checkpoint like any other.
        ToolsResult resumed = await Tools(Tiny("continued", "--resume", "--max-steps", "1"));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(5, StepOf(Path.Combine(root, "continued")));

        // Refused with the reason, the source package left as it was.
        ToolsResult both = await Tools(Tiny("both", "--init-from", source, "--resume"));
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("give one of them", both.Stderr, StringComparison.Ordinal);
        ToolsResult overCheckpoint = await Tools(Tiny("continued", "--init-from", source));
        Assert.Equal(2, overCheckpoint.ExitCode);
        Assert.Contains("holds a checkpoint: continue it with --resume", overCheckpoint.Stderr, StringComparison.Ordinal);
        ToolsResult text = await Tools(Tiny("text", "--text", "--init-from", source));
        Assert.Equal(2, text.ExitCode);
        Assert.Contains("the package is a class model; start from it without --text", text.Stderr, StringComparison.Ordinal);
        string[] otherSeed = Tiny("seed", "--init-from", source);
        otherSeed[Array.IndexOf(otherSeed, "--seed") + 1] = "4";
        ToolsResult seed = await Tools(otherSeed);
        Assert.Equal(2, seed.ExitCode);
        Assert.Contains("--seed and --batch must match the package's training", seed.Stderr, StringComparison.Ordinal);
        ToolsResult missing = await Tools(Tiny("missing", "--init-from", Path.Combine(root, "nowhere")));
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("nowhere", missing.Stderr, StringComparison.Ordinal);
        Assert.Equal(sourceWeights, Sha256(Path.Combine(source, "weights.safetensors")));
    }

    [Fact]
    public async Task Train_BadInputs_ClearErrorsAndNothingLost()
    {
        ToolsResult noData = await Tools(Tiny("nodata", "--data", Path.Combine(root, "missing")));
        Assert.Equal(1, noData.ExitCode);
        Assert.Contains("Fashion-MNIST file not found", noData.Stderr, StringComparison.Ordinal);

        ToolsResult noCheckpoint = await Tools(Tiny("empty", "--resume"));
        Assert.Equal(1, noCheckpoint.ExitCode);
        Assert.Contains("no checkpoint to resume from", noCheckpoint.Stderr, StringComparison.Ordinal);

        ToolsResult zeroEpochs = await Tools(Tiny("zero", "--epochs", "0"));
        Assert.Equal(2, zeroEpochs.ExitCode);
        Assert.Contains("--epochs: must be at least 1", zeroEpochs.Stderr, StringComparison.Ordinal);
        ToolsResult notANumber = await Tools(Tiny("nan", "--lr", "fast"));
        Assert.Equal(2, notANumber.ExitCode);
        Assert.Contains("--lr: 'fast' is not a number", notANumber.Stderr, StringComparison.Ordinal);
        ToolsResult typo = await Tools(Tiny("typo", "--epoch", "2"));
        Assert.Equal(2, typo.ExitCode);
        Assert.Contains("'--epoch'", typo.Stderr, StringComparison.Ordinal);

        // A checkpoint resumed with another seed, or with the other loss, is refused and left as it was.
        Assert.Equal(0, (await Tools(Tiny("kept", "--max-steps", "1"))).ExitCode);
        string checkpoint = Path.Combine(root, "kept", "checkpoint", "model.safetensors");
        string before = Sha256(checkpoint);
        string[] otherSeed = Tiny("kept", "--resume");
        otherSeed[Array.IndexOf(otherSeed, "--seed") + 1] = "4";
        ToolsResult seed = await Tools(otherSeed);
        Assert.Equal(2, seed.ExitCode);
        Assert.Contains("--seed and --batch must match the checkpoint", seed.Stderr, StringComparison.Ordinal);
        ToolsResult loss = await Tools(Tiny("kept", "--resume", "--no-layerwise"));
        Assert.Equal(2, loss.ExitCode);
        Assert.Contains("trained with the layer-wise loss", loss.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, Sha256(checkpoint));
        Assert.Equal(1, StepOf(Path.Combine(root, "kept")));

        // A learning rate that blows the weights up: the first non-finite loss stops the run with an error, and the
        // checkpoint and package it would have overwritten with NaN weights stay those of step 1.
        string package = Path.Combine(root, "kept", "package", "weights.safetensors");
        string packageBefore = Sha256(package);
        ToolsResult diverged = await Tools(Tiny("kept", "--resume", "--lr", "1e30", "--max-steps", "20"));
        Assert.Equal(1, diverged.ExitCode);
        Assert.Contains("the loss is", diverged.Stderr, StringComparison.Ordinal);
        Assert.Contains("stopping without writing a checkpoint or package", diverged.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, Sha256(checkpoint));
        Assert.Equal(packageBefore, Sha256(package));
        Assert.Equal(1, StepOf(Path.Combine(root, "kept")));
    }

    [Fact]
    public async Task TrainUem_RetrainsTheUemsAlone_OnAFrozenBackbone()
    {
        Assert.Equal(0, (await Tools(Tiny("source", "--max-steps", "2"))).ExitCode);
        string source = Path.Combine(root, "source", "package");
        string tuned = Path.Combine(root, "tuned");
        ToolsResult result = await Tools("train-uem", "--from", source, "--package", tuned, "--steps", "3", "--batch", "8", "--warmup", "1", "--threads", "1", "--log-every", "1");
        Assert.True(result.ExitCode == 0, result.Stderr);

        SafetensorsFile before = SafetensorsFile.Read(Path.Combine(source, "weights.safetensors"));
        SafetensorsFile after = SafetensorsFile.Read(Path.Combine(tuned, "weights.safetensors"));
        Assert.Equal(before.ByName.Keys.Order(), after.ByName.Keys.Order());
        int uemChanged = 0;
        foreach ((string name, SafetensorsTensor tensor) in before.ByName)
        {
            bool same = tensor.Data.Span.SequenceEqual(after.ByName[name].Data.Span);
            if (name.StartsWith("uem.", StringComparison.Ordinal))
            {
                uemChanged += same ? 0 : 1;
            }
            else
            {
                Assert.True(same, $"{name} changed: the backbone must stay frozen");
            }
        }
        Assert.True(uemChanged > 0, "no UEM tensor changed");
        Assert.NotEqual(ModelManifest.Load(Path.Combine(source, ModelPackage.ManifestFileName)).Weights.Sha256,
            ModelManifest.Load(Path.Combine(tuned, ModelPackage.ManifestFileName)).Weights.Sha256);

        ToolsResult sameFolder = await Tools("train-uem", "--from", source, "--package", source);
        Assert.Equal(2, sameFolder.ExitCode);
        Assert.Contains("--package must be another folder than --from", sameFolder.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Trains "straight" for <paramref name="first"/> + <paramref name="second"/> steps and "resumed" for
    /// <paramref name="first"/>, then <c>--resume</c> for <paramref name="second"/>; asserts that the package, the
    /// checkpoint and <paramref name="alsoSame"/> (paths in the run folder) are the same files.
    /// </summary>
    private async Task AssertStopAndResumeIsBitIdentical(Func<string, string[], string[]> tiny, int first, int second, params string[] alsoSame)
    {
        foreach (string[] args in new[] { tiny("straight", ["--max-steps", Text(first + second)]), tiny("resumed", ["--max-steps", Text(first)]), tiny("resumed", ["--resume", "--max-steps", Text(second)]) })
        {
            ToolsResult result = await Tools(args);
            Assert.True(result.ExitCode == 0, result.Stderr);
        }
        string[] files = ["package/weights.safetensors", "checkpoint/model.safetensors", "checkpoint/ema.safetensors", "checkpoint/optimizer.safetensors", .. alsoSame];
        foreach (string file in files)
        {
            Assert.True(Sha256(Path.Combine(root, "straight", file)) == Sha256(Path.Combine(root, "resumed", file)), $"{file} differs after stop and resume");
        }
    }

    private static string Text(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static long StepOf(string run)
    {
        using JsonDocument state = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "checkpoint", "state.json")));
        return state.RootElement.GetProperty("step").GetInt64();
    }

    private static async Task<string> ReadShared(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
