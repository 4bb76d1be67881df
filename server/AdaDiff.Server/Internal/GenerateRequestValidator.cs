using AdaDiff.Engine;
using AdaDiff.Engine.Sampling;
using AdaDiff.Engine.Scheduling;
using Google.Rpc;
using Proto = AdaDiff.Grpc.V1;

namespace AdaDiff.Server.Internal;

/// <summary>A validated Generate call: the engine request, the resolved settings and the stream encoding.</summary>
/// <param name="Request">The engine request, every default resolved.</param>
/// <param name="Settings">The same settings as the contract reports them.</param>
/// <param name="LatentDType">Encoding of streamed latents, or null for none.</param>
internal sealed record ValidatedGenerate(GenerationRequest Request, Proto.ResolvedSettings Settings, Proto.DType? LatentDType);

/// <summary>
/// Checks a <see cref="Proto.GenerateRequest"/> against the contract's ranges, the server options and the
/// model's manifest, and maps it to engine types. Every bad field gets one violation naming it.
/// </summary>
internal static class GenerateRequestValidator
{
    /// <summary>Largest classifier-free guidance scale accepted (a manifest's default is held to the same).</summary>
    public const float MaxGuidanceScale = ModelManifest.MaxGuidanceScale;

    /// <summary>Longest prompt accepted, in UTF-16 code units.</summary>
    public const int MaxPromptLength = 1024;

    /// <summary>
    /// Validates <paramref name="request"/>. With <paramref name="manifest"/> null (the model is unknown or
    /// its name invalid) only the model-independent fields are checked and null is returned.
    /// <paramref name="maxBatchRows"/> is the rows per pass of the model's scheduler (configured or derived at load).
    /// </summary>
    public static ValidatedGenerate? Validate(Proto.GenerateRequest request, ModelManifest? manifest, AdaDiffOptions options, int maxBatchRows, List<BadRequest.Types.FieldViolation> violations)
    {
        void Bad(string field, string description) => violations.Add(new BadRequest.Types.FieldViolation { Field = field, Description = description });
        int before = violations.Count;

        // num_images: 0 means 1.
        int numImages = request.NumImages == 0 ? 1 : (int)Math.Min(request.NumImages, int.MaxValue);
        if (numImages > options.MaxImagesPerRequest)
        {
            Bad("num_images", $"must be 1..{options.MaxImagesPerRequest} (0 means 1); was {request.NumImages}");
        }

        // sampler
        SamplerKind sampler = SamplerKind.Ddim;
        switch (request.Sampler)
        {
            case Proto.Sampler.Unspecified or Proto.Sampler.Ddim:
                break;
            case Proto.Sampler.Ddpm:
                sampler = SamplerKind.Ddpm;
                break;
            case Proto.Sampler.DpmSolverPp2M:
                sampler = SamplerKind.DpmSolverPP2M;
                break;
            default:
                Bad("sampler", $"unknown sampler {(int)request.Sampler}");
                break;
        }

        // steps: 1..min(max_steps, T); 0 selects the sampler's default.
        int timesteps = manifest?.NoiseSchedule.Timesteps ?? int.MaxValue;
        int maxSteps = Math.Min(options.MaxSteps, timesteps);
        int steps = 0;
        if (request.Steps == 0)
        {
            steps = Math.Min(Sampler.DefaultSteps(sampler, timesteps), maxSteps);
        }
        else if (request.Steps > maxSteps)
        {
            Bad("steps", $"must be 1..{maxSteps} (0 selects the sampler's default); was {request.Steps}");
        }
        else
        {
            steps = (int)request.Steps;
        }

        // condition
        int? classLabel = null;
        switch (request.ConditionCase)
        {
            case Proto.GenerateRequest.ConditionOneofCase.ClassLabel:
                if (manifest is null)
                {
                    break;
                }
                if (manifest.NumClasses == 0)
                {
                    Bad("class_label", $"model '{manifest.Name}' has no classes; leave the condition unset");
                }
                else if (request.ClassLabel >= manifest.NumClasses)
                {
                    Bad("class_label", $"must be 0..{manifest.NumClasses - 1} for this model; was {request.ClassLabel}");
                }
                else
                {
                    classLabel = (int)request.ClassLabel;
                }
                break;
            case Proto.GenerateRequest.ConditionOneofCase.Prompt:
                if (request.Prompt.Length is 0 or > MaxPromptLength)
                {
                    Bad("prompt", $"must be 1..{MaxPromptLength} characters; was {request.Prompt.Length}");
                }
                else if (manifest is not null)
                {
                    Bad("prompt", $"model '{manifest.Name}' is not text-conditional: text conditioning is unsupported; use class_label");
                }
                break;
            default:
                if (manifest is not null && !manifest.SupportsUnconditional)
                {
                    Bad("class_label", $"model '{manifest.Name}' cannot generate unconditionally; set class_label 0..{manifest.NumClasses - 1}");
                }
                break;
        }

        // guidance_scale: finite, 0..20; 0 is resolved below (the model's default with a class, else 1).
        float guidance = request.GuidanceScale;
        if (!float.IsFinite(guidance) || guidance < 0f || guidance > MaxGuidanceScale)
        {
            Bad("guidance_scale", $"must be a finite number in 0..{MaxGuidanceScale} (0 selects the model's default); was {guidance}");
        }

        // exit_policy
        Proto.ExitPolicy policy = request.ExitPolicy ?? new Proto.ExitPolicy();
        ExitMode mode = ExitMode.Adaptive;
        switch (policy.Mode)
        {
            case Proto.ExitMode.Unspecified or Proto.ExitMode.Adaptive:
                break;
            case Proto.ExitMode.FullDepth:
                mode = ExitMode.FullDepth;
                break;
            case Proto.ExitMode.FixedDepth:
                mode = ExitMode.FixedDepth;
                break;
            default:
                Bad("exit_policy.mode", $"unknown exit mode {(int)policy.Mode}");
                break;
        }
        float threshold = policy.Threshold;
        if (!float.IsFinite(threshold) || threshold < 0f || threshold > 1f)
        {
            Bad("exit_policy.threshold", $"must be in (0, 1] (0 selects the model's default); was {threshold}");
        }
        int depth = manifest?.Depth ?? int.MaxValue;
        if (policy.MinLayers > depth)
        {
            Bad("exit_policy.min_layers", $"must be 1..{depth} (0 selects the model's default); was {policy.MinLayers}");
        }
        if (policy.FixedDepth > depth)
        {
            Bad("exit_policy.fixed_depth", $"must be 1..{depth}; was {policy.FixedDepth}");
        }
        else if (mode == ExitMode.FixedDepth && policy.FixedDepth == 0)
        {
            Bad("exit_policy.fixed_depth", manifest is null ? "is required with FIXED_DEPTH" : $"is required with FIXED_DEPTH: 1..{depth}");
        }

        // stream
        Proto.StreamOptions stream = request.Stream ?? new Proto.StreamOptions();
        Proto.DType? latentDType = null;
        switch (stream.LatentEncoding)
        {
            case Proto.LatentEncoding.Unspecified or Proto.LatentEncoding.Float32:
                latentDType = Proto.DType.Float32;
                break;
            case Proto.LatentEncoding.Float16:
                latentDType = Proto.DType.Float16;
                break;
            case Proto.LatentEncoding.None:
                break;
            default:
                Bad("stream.latent_encoding", $"unknown latent encoding {(int)stream.LatentEncoding}");
                break;
        }

        if (manifest is null || violations.Count != before)
        {
            return null;
        }

        // Guidance needs a class: without one it is ignored, so 0 resolves to 1 there (no extra rows).
        if (guidance == 0f)
        {
            guidance = classLabel is null ? 1f : manifest.DefaultGuidanceScale;
        }
        float resolvedThreshold = threshold == 0f ? manifest.DefaultThreshold : threshold;
        int minLayers = policy.MinLayers == 0 ? manifest.DefaultMinLayers : (int)policy.MinLayers;
        int fixedDepth = (int)policy.FixedDepth;
        ExitPolicySettings exit = mode switch
        {
            ExitMode.FullDepth => new ExitPolicySettings(ExitMode.FullDepth, resolvedThreshold, minLayers, 0),
            ExitMode.FixedDepth => new ExitPolicySettings(ExitMode.FixedDepth, resolvedThreshold, minLayers, fixedDepth),
            _ => new ExitPolicySettings(ExitMode.Adaptive, resolvedThreshold, minLayers, 0),
        };
        ulong seed = request.Seed != 0 ? request.Seed : NewSeed();
        // Steps fit an int (at most T); a stride past the step count behaves like "only the last step".
        int latentEvery = latentDType is null ? 0 : stream.LatentEveryNSteps == 0 ? 1 : (int)Math.Min(stream.LatentEveryNSteps, (uint)steps);
        int previewEvery = stream.PreviewEveryNSteps == 0 ? 0 : (int)Math.Min(stream.PreviewEveryNSteps, (uint)steps);

        var engineRequest = new GenerationRequest
        {
            NumImages = numImages,
            Seed = seed,
            Sampler = sampler,
            Steps = steps,
            ClassLabel = classLabel,
            GuidanceScale = guidance,
            Exit = exit,
            LatentEveryNSteps = latentEvery,
            PreviewEveryNSteps = previewEvery,
        };
        var settings = new Proto.ResolvedSettings
        {
            Sampler = sampler switch
            {
                SamplerKind.Ddpm => Proto.Sampler.Ddpm,
                SamplerKind.DpmSolverPP2M => Proto.Sampler.DpmSolverPp2M,
                _ => Proto.Sampler.Ddim,
            },
            Steps = (uint)steps,
            ExitMode = mode switch
            {
                ExitMode.FullDepth => Proto.ExitMode.FullDepth,
                ExitMode.FixedDepth => Proto.ExitMode.FixedDepth,
                _ => Proto.ExitMode.Adaptive,
            },
            Threshold = resolvedThreshold,
            MinLayers = (uint)minLayers,
            FixedDepth = (uint)fixedDepth,
            GuidanceScale = guidance,
            Seed = seed,
        };
        // The engine's own limits (rows per batch with guidance, …) as a last check.
        if (GenerationRequestValidator.Check(engineRequest, manifest, maxBatchRows) is { } violation)
        {
            Bad(ProtoField(violation.Field), violation.Message);
            return null;
        }
        return new ValidatedGenerate(engineRequest, settings, latentDType);
    }

    /// <summary>The contract's field path of an engine request property.</summary>
    private static string ProtoField(string engineField) => engineField switch
    {
        nameof(GenerationRequest.NumImages) => "num_images",
        nameof(GenerationRequest.Sampler) => "sampler",
        nameof(GenerationRequest.Steps) => "steps",
        nameof(GenerationRequest.ClassLabel) => "class_label",
        nameof(GenerationRequest.GuidanceScale) => "guidance_scale",
        nameof(GenerationRequest.LatentEveryNSteps) => "stream.latent_every_n_steps",
        nameof(GenerationRequest.PreviewEveryNSteps) => "stream.preview_every_n_steps",
        "Exit.Threshold" => "exit_policy.threshold",
        "Exit.MinLayers" => "exit_policy.min_layers",
        "Exit.FixedDepth" => "exit_policy.fixed_depth",
        "Exit.Mode" => "exit_policy.mode",
        _ when engineField.StartsWith("Exit", StringComparison.Ordinal) => "exit_policy",
        _ => engineField,
    };

    /// <summary>A random non-zero seed (0 means "server chooses" on the wire).</summary>
    private static ulong NewSeed()
    {
        ulong seed;
        do
        {
            seed = (ulong)Random.Shared.NextInt64() ^ ((ulong)Random.Shared.Next() << 40);
        }
        while (seed == 0);
        return seed;
    }
}
