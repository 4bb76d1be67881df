using System.Text.Json;
using System.Text.Json.Serialization;

namespace AdaDiff.Engine;

/// <summary>
/// The <c>model.json</c> of a model package: architecture, image shape, conditioning, noise schedule,
/// exit defaults, per-layer FLOPs and the weights file. Everything shape- or class-dependent in the
/// engine and the backends comes from here.
/// </summary>
public sealed record ModelManifest
{
    /// <summary>Model name; equals the package folder name.</summary>
    public required string Name { get; init; }

    /// <summary>One-line description.</summary>
    public string Description { get; init; } = "";

    /// <summary>Architecture id; "uvit-adadiff" is the only one so far.</summary>
    public required string Architecture { get; init; }

    /// <summary>Image channels.</summary>
    public required int Channels { get; init; }

    /// <summary>Image height in pixels.</summary>
    public required int Height { get; init; }

    /// <summary>Image width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Patch size p (tokens are p×p×C patches).</summary>
    public required int PatchSize { get; init; }

    /// <summary>Transformer width D.</summary>
    public required int EmbedDim { get; init; }

    /// <summary>Layers: in-blocks (depth/2), one mid-block, out-blocks (depth/2). Odd.</summary>
    public required int Depth { get; init; }

    /// <summary>Attention heads.</summary>
    public required int NumHeads { get; init; }

    /// <summary>MLP hidden width = MlpRatio × D.</summary>
    public double MlpRatio { get; init; } = 4.0;

    /// <summary>
    /// The heads and MLP channels each layer keeps after structured pruning; null (absent) for an unpruned model.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PrunedWidths? Pruning { get; init; }

    /// <summary>Classes for class conditioning; 0 for an unconditional model.</summary>
    public int NumClasses { get; init; }

    /// <summary>
    /// What the model is conditioned on: <see cref="ConditioningKind.Class"/> (the default, so packages from before the
    /// field read as class models) or <see cref="ConditioningKind.Text"/> (then <see cref="Text"/> says how).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public ConditioningKind Conditioning { get; init; }

    /// <summary>The prompt vocabulary and text encoder of a text-conditioned model; null for a class model.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TextConditioning? Text { get; init; }

    /// <summary>Class names by index (NumClasses of them).</summary>
    public string[] ClassNames { get; init; } = [];

    /// <summary>True if the model was trained with label dropout and can sample without a class.</summary>
    public bool SupportsUnconditional { get; init; } = true;

    /// <summary>The noise schedule the model was trained on.</summary>
    public required NoiseScheduleSpec NoiseSchedule { get; init; }

    /// <summary>Default certainty threshold for ADAPTIVE exits, (0, 1].</summary>
    public float DefaultThreshold { get; init; } = 0.9f;

    /// <summary>Default minimum exit layer for ADAPTIVE exits, 1..Depth.</summary>
    public int DefaultMinLayers { get; init; } = 1;

    /// <summary>
    /// Classifier-free guidance scale w (eps = eps_u + w (eps_c - eps_u)) a class-conditional request gets when it
    /// leaves the scale at 0, 1..<see cref="MaxGuidanceScale"/>; 1 is no guidance. A value other than 1 needs the
    /// null class of label dropout (<see cref="SupportsUnconditional"/> and classes). The exit threshold and the
    /// quality of a model are measured at one scale: this is that scale.
    /// </summary>
    public float DefaultGuidanceScale { get; init; } = 1f;

    /// <summary>Per-image FLOP counts of the network's stages (multiply-add = 2).</summary>
    public required FlopCounts Flops { get; init; }

    /// <summary>The weights file and its hash.</summary>
    public required WeightsFile Weights { get; init; }

    /// <summary>How the weights were produced (command, seed, config); free-form, recorded for reproducibility.</summary>
    public JsonElement? Training { get; init; }

    /// <summary>Label index used for "no class" (the extra embedding row of label dropout).</summary>
    [JsonIgnore]
    public int NullClass => NumClasses;

    /// <summary>
    /// Ints of one row's condition in the backend's <c>conditions</c> span: 1 class label for a class model (also
    /// without classes, where it is always <see cref="NullClass"/>), <see cref="TextConditioning.MaxTokens"/> token ids
    /// for a text model.
    /// </summary>
    [JsonIgnore]
    public int ConditionWidth => Conditioning == ConditioningKind.Text ? Text!.MaxTokens : 1;

    /// <summary>Floats in one image: C×H×W.</summary>
    [JsonIgnore]
    public int ImageSize => Channels * Height * Width;

    /// <summary>Patch tokens: (H/p)×(W/p).</summary>
    [JsonIgnore]
    public int PatchTokens => (Height / PatchSize) * (Width / PatchSize);

    /// <summary>Largest classifier-free guidance scale a manifest may default to (the contract's limit of a request too).</summary>
    public const float MaxGuidanceScale = 20f;

    /// <summary>Serializer settings of model.json (camelCase, indented).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary>
    /// True when <paramref name="other"/> describes the same network: the fields that shape the weights and the
    /// graph (architecture, image, patch, width, depth, heads, MLP ratio, conditioning, pruned widths). Name, schedule, defaults,
    /// FLOPs and weights file are not compared.
    /// </summary>
    public bool SameArchitecture(ModelManifest other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Architecture == other.Architecture && Channels == other.Channels && Height == other.Height && Width == other.Width
            && PatchSize == other.PatchSize && EmbedDim == other.EmbedDim && Depth == other.Depth && NumHeads == other.NumHeads
            && MlpRatio.Equals(other.MlpRatio) && NumClasses == other.NumClasses && Conditioning == other.Conditioning
            && Equals(Text, other.Text) && Equals(Pruning, other.Pruning);
    }

    /// <summary>Reads and validates a manifest; throws <see cref="InvalidDataException"/> naming the problem.</summary>
    public static ModelManifest Load(string path)
    {
        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid model manifest: {e.Message}", e);
        }
        if (manifest is null)
        {
            throw new InvalidDataException($"{path}: empty model manifest");
        }
        manifest.Validate(path);
        return manifest;
    }

    /// <summary>Writes the manifest as indented JSON.</summary>
    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions) + "\n");

    /// <summary>Checks internal consistency; throws <see cref="InvalidDataException"/> naming the field.</summary>
    public void Validate(string source)
    {
        void Require(bool ok, string what)
        {
            if (!ok)
            {
                throw new InvalidDataException($"{source}: invalid model manifest: {what}");
            }
        }
        Require(Channels > 0 && Height > 0 && Width > 0, "channels, height and width must be positive");
        Require(PatchSize > 0 && Height % PatchSize == 0 && Width % PatchSize == 0, "patchSize must divide height and width");
        Require(Depth >= 1 && Depth % 2 == 1, "depth must be odd (in-blocks, mid-block, out-blocks)");
        Require(EmbedDim > 0 && NumHeads > 0 && EmbedDim % NumHeads == 0, "embedDim must be a positive multiple of numHeads");
        if (Pruning is not null)
        {
            string? problem = Pruning.Problem(Depth, NumHeads, (int)(EmbedDim * MlpRatio));
            Require(problem is null, problem!);
        }
        Require(NumClasses >= 0 && (ClassNames.Length == 0 || ClassNames.Length == NumClasses), "classNames must list numClasses names");
        Require(Enum.IsDefined(Conditioning), $"conditioning must be \"class\" or \"text\"");
        if (Conditioning == ConditioningKind.Text)
        {
            Require(Text is not null, "a text model (conditioning \"text\") needs \"text\": its maxTokens, vocabularySize and vocabularySha256");
            Require(NumClasses == 0 && ClassNames.Length == 0, "a text model takes prompts, not classes: numClasses must be 0 and classNames empty");
            Require(Text!.Problem() is null, Text.Problem()!);
        }
        else
        {
            Require(Text is null, "\"text\" is for a text model (conditioning \"text\") only");
            Require(NumClasses > 0 || SupportsUnconditional, "a model without classes must support unconditional sampling");
        }
        Require(DefaultThreshold > 0 && DefaultThreshold <= 1, "defaultThreshold must be in (0, 1]");
        Require(DefaultMinLayers >= 1 && DefaultMinLayers <= Depth, "defaultMinLayers must be in 1..depth");
        Require(float.IsFinite(DefaultGuidanceScale) && DefaultGuidanceScale >= 1f && DefaultGuidanceScale <= MaxGuidanceScale,
            $"defaultGuidanceScale must be a finite number in 1..{MaxGuidanceScale} (1 is no guidance); was {DefaultGuidanceScale}");
        Require(DefaultGuidanceScale == 1f || ((NumClasses > 0 || Conditioning == ConditioningKind.Text) && SupportsUnconditional),
            $"defaultGuidanceScale {DefaultGuidanceScale} needs a class-conditional model trained with label dropout or a text model trained with prompt dropout (numClasses > 0 or conditioning \"text\", and supportsUnconditional: guidance runs the null class or the empty prompt); use 1");
        Require(Flops.PerLayer.Length == Depth, "flops.perLayer must have depth entries");
        Require(!string.IsNullOrEmpty(Weights.File), "weights.file is required");
        NoiseSchedule.Validate(source);
    }
}

/// <summary>FLOPs of one image through each stage (multiply-add = 2).</summary>
public sealed record FlopCounts
{
    /// <summary>Patch embedding, time and label tokens; a text model's text encoder too (once per row).</summary>
    public required double Embed { get; init; }

    /// <summary>Each transformer layer, long-skip projection included; Depth entries.</summary>
    public required double[] PerLayer { get; init; }

    /// <summary>One uncertainty estimation module evaluation.</summary>
    public required double Uem { get; init; }

    /// <summary>The shared output head (norm, linear, unpatchify, 3×3 conv).</summary>
    public required double Head { get; init; }

    /// <summary>A full-depth forward without uncertainty heads: embed + all layers + head.</summary>
    [JsonIgnore]
    public double FullForward
    {
        get
        {
            double sum = Embed + Head;
            foreach (double layer in PerLayer)
            {
                sum += layer;
            }
            return sum;
        }
    }
}

/// <summary>The weights file of a model package.</summary>
public sealed record WeightsFile
{
    /// <summary>File name relative to the package folder (safetensors, PyTorch-style names).</summary>
    public required string File { get; init; }

    /// <summary>Lower-case hex SHA-256 of the file; checked at load when present.</summary>
    public string? Sha256 { get; init; }
}
