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
        if (Condition(request, manifest) is { } conditionViolation)
        {
            return conditionViolation;
        }
        if (!float.IsFinite(request.GuidanceScale) || request.GuidanceScale < 0f)
        {
            return new(nameof(request.GuidanceScale), "must be a finite number ≥ 0");
        }
        if (request.UsesGuidance && !manifest.SupportsUnconditional)
        {
            return new(nameof(request.GuidanceScale), manifest.Conditioning == ConditioningKind.Text
                ? "this model was not trained with prompt dropout for classifier-free guidance"
                : "this model was not trained for classifier-free guidance");
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

    /// <summary>The condition against what the model takes: a class label for a class model, token ids for a text model.</summary>
    private static RequestViolation? Condition(GenerationRequest request, ModelManifest manifest)
    {
        if (manifest.Conditioning == ConditioningKind.Text)
        {
            if (request.ClassLabel is not null)
            {
                return new(nameof(request.ClassLabel), "this model takes a prompt, not a class label");
            }
            if (request.PromptTokens is { } tokens)
            {
                TextConditioning text = manifest.Text!;
                if (tokens.Count != text.MaxTokens)
                {
                    return new(nameof(request.PromptTokens), $"must be {text.MaxTokens} token ids (the model's maxTokens); was {tokens.Count}");
                }
                foreach (int id in tokens)
                {
                    if (id < 0 || id >= text.VocabularySize)
                    {
                        return new(nameof(request.PromptTokens), $"token ids must be in 0..{text.VocabularySize - 1}; was {id}");
                    }
                }
            }
            else if (!manifest.SupportsUnconditional)
            {
                return new(nameof(request.PromptTokens), "this model needs a prompt");
            }
            return null;
        }
        if (request.PromptTokens is not null || request.Prompt is not null)
        {
            return new(nameof(request.PromptTokens), "this model takes a class label, not a prompt");
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
        return null;
    }
}
