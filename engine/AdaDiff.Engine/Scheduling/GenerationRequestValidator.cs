using AdaDiff.Engine.Exits;

namespace AdaDiff.Engine.Scheduling;

/// <summary>Checks a resolved <see cref="GenerationRequest"/> against a model and the scheduler's limits.</summary>
public static class GenerationRequestValidator
{
    /// <summary>Returns the first violation, or null when the request can run under the served policy its <see cref="GenerationRequest.Exit"/> names.</summary>
    public static RequestViolation? Check(GenerationRequest request, ModelManifest manifest, int maxBatchRows) =>
        Check(request, null, manifest, maxBatchRows);

    /// <summary>
    /// Returns the first violation, or null when the request can run with <paramref name="exitPolicy"/> deciding its
    /// exits (then <see cref="GenerationRequest.Exit"/> is not read), or, when it is null, the served policy that
    /// <see cref="GenerationRequest.Exit"/> names.
    /// </summary>
    public static RequestViolation? Check(GenerationRequest request, IExitPolicy? exitPolicy, ModelManifest manifest, int maxBatchRows)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(manifest);
        int timesteps = manifest.NoiseSchedule.Timesteps;
        if (request.NumImages < 1)
        {
            return new(nameof(request.NumImages), "must be at least 1");
        }
        if (request.RowsPerStep > maxBatchRows)
        {
            return new(nameof(request.NumImages), request.UsesGuidance
                ? $"at most {maxBatchRows / 2} images with classifier-free guidance (2 rows each, {maxBatchRows} rows per batch)"
                : $"at most {maxBatchRows} images");
        }
        if (!Enum.IsDefined(request.Sampler))
        {
            return new(nameof(request.Sampler), "unknown sampler");
        }
        if (request.Steps < 1 || request.Steps > timesteps)
        {
            return new(nameof(request.Steps), $"must be in 1..{timesteps}");
        }
        if (request.ClassLabel is int label)
        {
            if (label < 0 || label >= manifest.NumClasses)
            {
                return new(nameof(request.ClassLabel), manifest.NumClasses == 0
                    ? "this model is unconditional"
                    : $"must be in 0..{manifest.NumClasses - 1}");
            }
        }
        else if (!manifest.SupportsUnconditional)
        {
            return new(nameof(request.ClassLabel), "this model needs a class label");
        }
        if (!float.IsFinite(request.GuidanceScale) || request.GuidanceScale < 0f)
        {
            return new(nameof(request.GuidanceScale), "must be a finite number ≥ 0");
        }
        if (request.UsesGuidance && !manifest.SupportsUnconditional)
        {
            return new(nameof(request.GuidanceScale), "this model was not trained for classifier-free guidance");
        }
        if (exitPolicy is null && request.Exit is null)
        {
            return new(nameof(request.Exit), "required");
        }
        var exit = exitPolicy is null
            ? ExitPolicy.Check(request.Exit, manifest.Depth, request.Steps)
            : ExitPolicy.Check(exitPolicy, manifest.Depth, request.Steps);
        if (exit is { } violation)
        {
            return new(violation.Field.Length == 0 ? nameof(request.Exit) : $"{nameof(request.Exit)}.{violation.Field}", violation.Message);
        }
        if (request.LatentEveryNSteps < 0)
        {
            return new(nameof(request.LatentEveryNSteps), "must be ≥ 0");
        }
        if (request.PreviewEveryNSteps < 0)
        {
            return new(nameof(request.PreviewEveryNSteps), "must be ≥ 0");
        }
        if (request.PredictedCleanEveryNSteps < 0)
        {
            return new(nameof(request.PredictedCleanEveryNSteps), "must be ≥ 0");
        }
        return null;
    }
}
