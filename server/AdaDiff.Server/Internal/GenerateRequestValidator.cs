using AdaDiff.Engine;
using AdaDiff.Engine.Sampling;
using AdaDiff.Engine.Scheduling;
using AdaDiff.Engine.Text;
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

    /// <summary>Longest prompt accepted, in Unicode characters (scalar values: "👢" is one), as the contract says.</summary>
    public const int MaxPromptLength = PromptValidator.MaxCharacters;

    /// <summary>
    /// Validates <paramref name="request"/>. With <paramref name="manifest"/> null (the model is unknown or
    /// its name invalid) only the model-independent fields are checked and null is returned.
    /// <paramref name="maxBatchRows"/> is the rows per pass of the model's scheduler (configured or derived at load);
    /// <paramref name="tokenizer"/> a text model's prompt tokenizer (null for a class model).
    /// </summary>
    public static ValidatedGenerate? Validate(Proto.GenerateRequest request, ModelManifest? manifest, AdaDiffOptions options, int maxBatchRows, List<BadRequest.Types.FieldViolation> violations,
        PromptTokenizer? tokenizer = null)
    {
        var bad = new Violations(violations);
        int before = violations.Count;
        int numImages = NumImages(request, options, bad);
        SamplerKind sampler = Sampler(request, bad);
        int steps = Steps(request, sampler, manifest, options, bad);
        int? classLabel = Condition(request, manifest, bad);
        TokenizedPrompt? prompt = Prompt(request, manifest, tokenizer, bad);
        float guidance = Guidance(request, bad);
        Proto.ExitPolicy policy = request.ExitPolicy ?? new Proto.ExitPolicy();
        ExitMode mode = ExitPolicyMode(policy, manifest, bad);
        Proto.StreamOptions stream = request.Stream ?? new Proto.StreamOptions();
        Proto.DType? latentDType = LatentDType(stream, bad);
        if (manifest is null || violations.Count != before)
        {
            return null;
        }

        // Defaults resolved. Guidance needs a condition: without one it is ignored, so 0 resolves to 1 there (no extra rows).
        if (guidance == 0f)
        {
            guidance = classLabel is null && prompt is null ? 1f : manifest.DefaultGuidanceScale;
        }
        float threshold = policy.Threshold == 0f ? manifest.DefaultThreshold : policy.Threshold;
        int minLayers = policy.MinLayers == 0 ? manifest.DefaultMinLayers : (int)policy.MinLayers;
        int fixedDepth = mode == ExitMode.FixedDepth ? (int)policy.FixedDepth : 0;
        ulong seed = request.Seed != 0 ? request.Seed : NewSeed();
        var engineRequest = new GenerationRequest
        {
            NumImages = numImages,
            Seed = seed,
            Sampler = sampler,
            Steps = steps,
            ClassLabel = classLabel,
            Prompt = prompt is null ? null : request.Prompt,
            PromptTokens = prompt?.Ids,
            GuidanceScale = guidance,
            Exit = new ExitPolicySettings(mode, threshold, minLayers, fixedDepth),
            LatentEveryNSteps = latentDType is null ? 0 : Stride(stream.LatentEveryNSteps, steps, zeroMeansEvery: true),
            PreviewEveryNSteps = Stride(stream.PreviewEveryNSteps, steps, zeroMeansEvery: false),
            PredictedCleanEveryNSteps = Stride(stream.PredictedCleanEveryNSteps, steps, zeroMeansEvery: false),
        };
        var settings = new Proto.ResolvedSettings
        {
            Sampler = ContractEnums.ToWire(sampler),
            Steps = (uint)steps,
            ExitMode = ContractEnums.ToWire(mode),
            Threshold = threshold,
            MinLayers = (uint)minLayers,
            FixedDepth = (uint)fixedDepth,
            GuidanceScale = guidance,
            Seed = seed,
            PromptDroppedWords = (uint)(prompt?.DroppedWords ?? 0),
        };
        if (prompt is not null)
        {
            settings.PromptWords.Add(prompt.Words);
        }
        // The engine's own limits (rows per batch with guidance, …) as a last check.
        if (GenerationRequestValidator.Check(engineRequest, manifest, maxBatchRows) is { } violation)
        {
            bad.Add(ProtoField(violation.Field), violation.Message);
            return null;
        }
        return new ValidatedGenerate(engineRequest, settings, latentDType);
    }

    /// <summary>num_images: 1..MaxImagesPerRequest; 0 means 1.</summary>
    private static int NumImages(Proto.GenerateRequest request, AdaDiffOptions options, Violations bad)
    {
        int numImages = request.NumImages == 0 ? 1 : (int)Math.Min(request.NumImages, int.MaxValue);
        if (numImages > options.MaxImagesPerRequest)
        {
            bad.Add("num_images", $"must be 1..{options.MaxImagesPerRequest} (0 means 1); was {request.NumImages}");
        }
        return numImages;
    }

    /// <summary>sampler: a value the contract defines; UNSPECIFIED is DDIM.</summary>
    private static SamplerKind Sampler(Proto.GenerateRequest request, Violations bad)
    {
        if (!ContractEnums.TryToEngine(request.Sampler, out SamplerKind sampler))
        {
            bad.Add("sampler", $"unknown sampler {(int)request.Sampler}");
            return SamplerKind.Ddim;
        }
        return sampler;
    }

    /// <summary>steps: 1..min(MaxSteps, the model's training timesteps); 0 selects the sampler's default.</summary>
    private static int Steps(Proto.GenerateRequest request, SamplerKind sampler, ModelManifest? manifest, AdaDiffOptions options, Violations bad)
    {
        int timesteps = manifest?.NoiseSchedule.Timesteps ?? int.MaxValue;
        int maxSteps = Math.Min(options.MaxSteps, timesteps);
        if (request.Steps == 0)
        {
            return Math.Min(Engine.Sampling.Sampler.DefaultSteps(sampler, timesteps), maxSteps);
        }
        if (request.Steps > maxSteps)
        {
            bad.Add("steps", $"must be 1..{maxSteps} (0 selects the sampler's default); was {request.Steps}");
            return 0;
        }
        return (int)request.Steps;
    }

    /// <summary>The condition oneof against what the model takes; returns the class label, or null when unconditional or a prompt.</summary>
    private static int? Condition(Proto.GenerateRequest request, ModelManifest? manifest, Violations bad)
    {
        bool text = manifest?.Conditioning == ConditioningKind.Text;
        switch (request.ConditionCase)
        {
            case Proto.GenerateRequest.ConditionOneofCase.ClassLabel:
                if (manifest is null)
                {
                    return null;
                }
                if (text)
                {
                    bad.Add("class_label", $"model '{manifest.Name}' is text-conditional: it takes a prompt, not a class label; set prompt instead");
                    return null;
                }
                if (manifest.NumClasses == 0)
                {
                    bad.Add("class_label", $"model '{manifest.Name}' has no classes; leave the condition unset");
                    return null;
                }
                if (request.ClassLabel >= manifest.NumClasses)
                {
                    bad.Add("class_label", $"must be 0..{manifest.NumClasses - 1} for this model; was {request.ClassLabel}");
                    return null;
                }
                return (int)request.ClassLabel;
            case Proto.GenerateRequest.ConditionOneofCase.Prompt:
                return null; // checked by Prompt
            default:
                if (manifest is not null && !manifest.SupportsUnconditional)
                {
                    if (text)
                    {
                        bad.Add("prompt", $"model '{manifest.Name}' cannot generate unconditionally; set a prompt");
                    }
                    else
                    {
                        bad.Add("class_label", $"model '{manifest.Name}' cannot generate unconditionally; set class_label 0..{manifest.NumClasses - 1}");
                    }
                }
                return null;
        }
    }

    /// <summary>
    /// prompt: one line of 1..MaxPromptLength Unicode characters (<see cref="PromptValidator"/>), for a text model only,
    /// its words in the model's vocabulary. Returns its token ids, or null without a (valid) prompt.
    /// </summary>
    private static TokenizedPrompt? Prompt(Proto.GenerateRequest request, ModelManifest? manifest, PromptTokenizer? tokenizer, Violations bad)
    {
        if (request.ConditionCase != Proto.GenerateRequest.ConditionOneofCase.Prompt)
        {
            return null;
        }
        if (PromptValidator.Check(request.Prompt, MaxPromptLength) is { } problem)
        {
            bad.Add("prompt", problem.Message);
            return null;
        }
        if (manifest is null)
        {
            return null;
        }
        if (manifest.Conditioning != ConditioningKind.Text || tokenizer is null)
        {
            bad.Add("prompt", manifest.NumClasses > 0
                ? $"model '{manifest.Name}' is class-conditional: it takes class_label 0..{manifest.NumClasses - 1}, not a prompt"
                : $"model '{manifest.Name}' is not text-conditional: it takes no prompt; leave the condition unset");
            return null;
        }
        TokenizedPrompt tokens = tokenizer.Encode(request.Prompt);
        if (!tokens.AllKnown)
        {
            string[] unknown = [.. tokens.UnknownWords.Distinct(StringComparer.Ordinal)];
            IEnumerable<string> known = tokenizer.Vocabulary.Tokens.Skip(PromptVocabulary.SpecialTokens.Count);
            bad.Add("prompt", $"model '{manifest.Name}' does not know the word{(unknown.Length == 1 ? "" : "s")} "
                + $"{string.Join(", ", unknown.Select(w => $"\"{w}\""))}; its vocabulary is: {string.Join(" ", known)}");
            return null;
        }
        return tokens;
    }

    /// <summary>guidance_scale: finite, 0..MaxGuidanceScale; 0 is resolved once the condition is known.</summary>
    private static float Guidance(Proto.GenerateRequest request, Violations bad)
    {
        float guidance = request.GuidanceScale;
        if (!float.IsFinite(guidance) || guidance < 0f || guidance > MaxGuidanceScale)
        {
            bad.Add("guidance_scale", $"must be a finite number in 0..{MaxGuidanceScale} (0 selects the model's default); was {guidance}");
        }
        return guidance;
    }

    /// <summary>exit_policy: its mode, threshold in [0, 1], min_layers and fixed_depth within the model's depth.</summary>
    private static ExitMode ExitPolicyMode(Proto.ExitPolicy policy, ModelManifest? manifest, Violations bad)
    {
        if (!ContractEnums.TryToEngine(policy.Mode, out ExitMode mode))
        {
            bad.Add("exit_policy.mode", $"unknown exit mode {(int)policy.Mode}");
            mode = ExitMode.Adaptive;
        }
        float threshold = policy.Threshold;
        if (!float.IsFinite(threshold) || threshold < 0f || threshold > 1f)
        {
            bad.Add("exit_policy.threshold", $"must be in (0, 1] (0 selects the model's default); was {threshold}");
        }
        int depth = manifest?.Depth ?? int.MaxValue;
        if (policy.MinLayers > depth)
        {
            bad.Add("exit_policy.min_layers", $"must be 1..{depth} (0 selects the model's default); was {policy.MinLayers}");
        }
        if (policy.FixedDepth > depth)
        {
            bad.Add("exit_policy.fixed_depth", $"must be 1..{depth}; was {policy.FixedDepth}");
        }
        else if (mode == ExitMode.FixedDepth && policy.FixedDepth == 0)
        {
            bad.Add("exit_policy.fixed_depth", manifest is null ? "is required with FIXED_DEPTH" : $"is required with FIXED_DEPTH: 1..{depth}");
        }
        return mode;
    }

    /// <summary>stream.latent_encoding: the dtype of streamed latents, null for NONE (UNSPECIFIED is FLOAT32).</summary>
    private static Proto.DType? LatentDType(Proto.StreamOptions stream, Violations bad)
    {
        switch (stream.LatentEncoding)
        {
            case Proto.LatentEncoding.Unspecified or Proto.LatentEncoding.Float32:
                return Proto.DType.Float32;
            case Proto.LatentEncoding.Float16:
                return Proto.DType.Float16;
            case Proto.LatentEncoding.None:
                return null;
            default:
                bad.Add("stream.latent_encoding", $"unknown latent encoding {(int)stream.LatentEncoding}");
                return null;
        }
    }

    /// <summary>A stream stride in steps; one past the step count behaves like "only the last step" (steps fit an int: at most T).</summary>
    private static int Stride(uint every, int steps, bool zeroMeansEvery) =>
        every == 0 ? (zeroMeansEvery ? 1 : 0) : (int)Math.Min(every, (uint)steps);

    /// <summary>Collects field violations.</summary>
    private readonly struct Violations(List<BadRequest.Types.FieldViolation> list)
    {
        public void Add(string field, string description) => list.Add(new BadRequest.Types.FieldViolation { Field = field, Description = description });
    }

    /// <summary>The contract's field path of an engine request property.</summary>
    private static string ProtoField(string engineField) => engineField switch
    {
        nameof(GenerationRequest.NumImages) => "num_images",
        nameof(GenerationRequest.Sampler) => "sampler",
        nameof(GenerationRequest.Steps) => "steps",
        nameof(GenerationRequest.ClassLabel) => "class_label",
        nameof(GenerationRequest.PromptTokens) or nameof(GenerationRequest.Prompt) => "prompt",
        nameof(GenerationRequest.GuidanceScale) => "guidance_scale",
        nameof(GenerationRequest.LatentEveryNSteps) => "stream.latent_every_n_steps",
        nameof(GenerationRequest.PreviewEveryNSteps) => "stream.preview_every_n_steps",
        nameof(GenerationRequest.PredictedCleanEveryNSteps) => "stream.predicted_clean_every_n_steps",
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
