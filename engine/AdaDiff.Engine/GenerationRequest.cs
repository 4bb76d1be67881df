namespace AdaDiff.Engine;

/// <summary>Sampling algorithm.</summary>
public enum SamplerKind
{
    /// <summary>DDPM ancestral (stochastic), respaced when steps &lt; T.</summary>
    Ddpm,

    /// <summary>DDIM, η = 0 (deterministic).</summary>
    Ddim,

    /// <summary>DPM-Solver++(2M), data prediction (deterministic).</summary>
    DpmSolverPP2M,
}

/// <summary>Where images leave the network.</summary>
public enum ExitMode
{
    /// <summary>First layer ≥ MinLayers whose certainty ≥ Threshold; the last layer always exits.</summary>
    Adaptive,

    /// <summary>Every layer.</summary>
    FullDepth,

    /// <summary>Every image exits at FixedDepth (static truncation).</summary>
    FixedDepth,
}

/// <summary>
/// Resolved exit policy (no defaults left to apply): the contract's exit policy, field for field. The engine builds
/// the <see cref="Exits.IExitPolicy"/> that decides the exits from it (<see cref="Exits.ExitPolicy.Create"/>).
/// </summary>
/// <param name="Mode">Exit mode.</param>
/// <param name="Threshold">ADAPTIVE certainty threshold in (0, 1].</param>
/// <param name="MinLayers">ADAPTIVE earliest exit layer, 1..depth.</param>
/// <param name="FixedDepth">FIXED_DEPTH exit layer, 1..depth.</param>
public sealed record ExitPolicySettings(ExitMode Mode, float Threshold, int MinLayers, int FixedDepth)
{
    /// <summary>Full depth.</summary>
    public static ExitPolicySettings Full { get; } = new(ExitMode.FullDepth, 1f, 1, 0);
}

/// <summary>A validated generation request with every default resolved.</summary>
public sealed record GenerationRequest
{
    /// <summary>Images to generate, ≥ 1.</summary>
    public required int NumImages { get; init; }

    /// <summary>Seed of image 0; image k uses Seed + k.</summary>
    public required ulong Seed { get; init; }

    /// <summary>Sampler.</summary>
    public required SamplerKind Sampler { get; init; }

    /// <summary>Sampling steps, 1..T.</summary>
    public required int Steps { get; init; }

    /// <summary>Class label (class models only), or null for unconditional sampling.</summary>
    public int? ClassLabel { get; init; }

    /// <summary>The prompt as the client wrote it (text models only; for logs and results), or null.</summary>
    public string? Prompt { get; init; }

    /// <summary>
    /// The prompt's token ids, <see cref="TextConditioning.MaxTokens"/> of them, encoded with the model's vocabulary
    /// (<see cref="Text.PromptTokenizer"/>), for a text model; null for unconditional sampling (each row then gets the
    /// prompt of padding only) and for class models. Every row of the request carries these ids.
    /// </summary>
    public IReadOnlyList<int>? PromptTokens { get; init; }

    /// <summary>Classifier-free guidance scale; 1 means the conditional prediction alone (no extra rows).</summary>
    public float GuidanceScale { get; init; } = 1f;

    /// <summary>Exit policy.</summary>
    public required ExitPolicySettings Exit { get; init; }

    /// <summary>Emit x_t every n steps (and on the last step); 0 emits none.</summary>
    public int LatentEveryNSteps { get; init; }

    /// <summary>Emit the predicted x0 every n steps (and on the last step), for previews; 0 emits none.</summary>
    public int PreviewEveryNSteps { get; init; }

    /// <summary>Emit the predicted x0 every n steps (and on the last step) for callers that want the values themselves; 0 emits none.</summary>
    public int PredictedCleanEveryNSteps { get; init; }

    /// <summary>Rows this request puts in a network pass: NumImages, doubled by guidance.</summary>
    public int RowsPerStep => UsesGuidance ? NumImages * 2 : NumImages;

    /// <summary>True when the request names a condition: a class label or a prompt.</summary>
    public bool IsConditional => ClassLabel is not null || PromptTokens is not null;

    /// <summary>
    /// True when classifier-free guidance adds an unconditional row per image (the null class, or the prompt of
    /// padding only).
    /// </summary>
    public bool UsesGuidance => IsConditional && GuidanceScale != 1f;
}
