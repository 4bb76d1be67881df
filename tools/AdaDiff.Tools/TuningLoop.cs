using System.Diagnostics;
using System.Globalization;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Engine;

namespace AdaDiff.Tools;

/// <summary>
/// What every command that retrains a package into a new one (<c>train-uem</c>, <c>prune</c>) does around its own
/// model and loss: load the source package for training, run the optimisation steps of its options with progress
/// lines, and say where the package went.
/// </summary>
internal static class TuningLoop
{
    /// <summary>The package <see cref="PackageTuning.From"/> names, loaded after this process is set up for training.</summary>
    public static (ModelManifest Manifest, UViT Model) LoadSource(PackageTuning options)
    {
        TrainingStep.ConfigureProcess(options.Threads);
        return UViTPackage.Load(options.From);
    }

    /// <summary>
    /// The training steps of a tuning: the Fashion-MNIST training split under the class conditions of
    /// <paramref name="source"/> (its noise schedule and null class), without flips, at the options' batch, seed,
    /// condition dropout, learning rate and warm-up.
    /// </summary>
    public static TrainingStep NewTrainingStep(PackageTuning options, ModelManifest source)
    {
        FashionMnist data = FashionMnist.Load(options.DataDir, train: true);
        return new TrainingStep(data, options.Batch, options.Seed, source.NoiseSchedule, new ClassConditions(source.NullClass), options.LabelDropout, horizontalFlip: false, options.LearningRate, options.WarmupSteps);
    }

    /// <summary>
    /// Runs steps 0, 1, … of <see cref="PackageTuning.Steps"/> by <paramref name="runStep"/> until done or
    /// <paramref name="stop"/>, logging the loss and its running average every <see cref="PackageTuning.LogEvery"/>
    /// steps and at the last. Returns the steps run and the running average (NaN before the first step).
    /// </summary>
    /// <param name="options">Steps, batch and log interval.</param>
    /// <param name="lossName">What the progress lines call the loss ("loss", "UEM loss").</param>
    /// <param name="runStep">Runs one step and returns its loss.</param>
    /// <param name="clock">The rate and the time left are measured on it.</param>
    /// <param name="log">Where the progress lines go.</param>
    /// <param name="stop">Ends the loop after the step in flight.</param>
    public static (int Steps, double LossAverage) Run(PackageTuning options, string lossName, Func<int, double> runStep, Stopwatch clock, TextWriter log, CancellationToken stop)
    {
        double average = double.NaN;
        int step = 0;
        for (; step < options.Steps && !stop.IsCancellationRequested; step++)
        {
            double loss = runStep(step);
            average = double.IsNaN(average) ? loss : (0.95 * average) + (0.05 * loss);
            if ((step + 1) % options.LogEvery == 0 || step + 1 == options.Steps)
            {
                double perSecond = (step + 1) * options.Batch / clock.Elapsed.TotalSeconds;
                double eta = (options.Steps - step - 1) * options.Batch / perSecond;
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"step {step + 1}/{options.Steps} {lossName} {loss:F5} (avg {average:F5}) {perSecond:F0} img/s ETA {TimeSpan.FromSeconds(eta):h\\:mm\\:ss}"));
            }
        }
        if (step < options.Steps)
        {
            log.WriteLine($"stopped at step {step}: writing the package as it is");
        }
        return (step, average);
    }

    /// <summary>The closing line: the package written, its weights' hash and the command's minutes so far.</summary>
    public static void LogWritten(TextWriter log, PackageTuning options, ModelManifest written, Stopwatch clock) =>
        log.WriteLine($"package: {options.PackageDir} (weights sha256 {written.Weights.Sha256?[..12]}) after {clock.Elapsed.TotalMinutes:F1} min");
}
