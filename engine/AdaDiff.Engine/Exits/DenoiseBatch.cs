namespace AdaDiff.Engine.Exits;

/// <summary>
/// The rows of one network pass and their results, reused from tick to tick (no allocation after
/// construction). Each row carries its condition, <see cref="ConditionWidth"/> ints (one class label for a class model,
/// a prompt's token ids for a text model: <see cref="ModelManifest.ConditionWidth"/>). Rows are grouped into images
/// (1 row, or 2 with classifier-free guidance: conditional then unconditional, the null class or the prompt of padding
/// only) and images into groups (one group per job and step: one exit policy and the step it is
/// asked about, one cancellation token). A group's images, and an image's rows, are adjacent. Build it with <see cref="AddGroup"/> then <c>AddImage</c> for each of the
/// group's images; run it with <see cref="AdaptiveDenoiser.Run"/>; read the results per row.
/// </summary>
public sealed class DenoiseBatch
{
    private readonly float[] latents;
    private readonly float[] timesteps;
    private readonly int[] conditions;
    private readonly int[] rowImage;
    private readonly float[] epsilon;
    private readonly int[] exitLayers;
    private readonly float[] certainties;
    private readonly int[] uemEvaluations;
    private readonly int[] imageFirstRow;
    private readonly int[] imageRows;
    private readonly int[] imageGroup;
    private readonly IExitPolicy[] groupPolicy;
    private readonly int[] groupStep;
    private readonly CancellationToken[] groupToken;
    private readonly int[] groupFirstImage;
    private readonly int[] groupImages;

    /// <summary>
    /// Allocates room for <paramref name="maxRows"/> rows of <paramref name="imageSize"/> floats and
    /// <paramref name="conditionWidth"/> condition ints (1: a class label a row).
    /// </summary>
    /// <remarks>
    /// Latents and ε: 2 × maxRows × imageSize floats (400 KB at 64 rows of 28×28×1); conditions maxRows × conditionWidth
    /// ints (5 KB at 64 rows of 20 tokens).
    /// </remarks>
    public DenoiseBatch(int imageSize, int maxRows, int conditionWidth = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(conditionWidth, 1);
        ImageSize = imageSize;
        MaxRows = maxRows;
        ConditionWidth = conditionWidth;
        latents = new float[maxRows * imageSize];
        epsilon = new float[maxRows * imageSize];
        timesteps = new float[maxRows];
        conditions = new int[maxRows * conditionWidth];
        rowImage = new int[maxRows];
        exitLayers = new int[maxRows];
        certainties = new float[maxRows];
        uemEvaluations = new int[maxRows];
        imageFirstRow = new int[maxRows];
        imageRows = new int[maxRows];
        imageGroup = new int[maxRows];
        groupPolicy = new IExitPolicy[maxRows];
        groupStep = new int[maxRows];
        groupToken = new CancellationToken[maxRows];
        groupFirstImage = new int[maxRows];
        groupImages = new int[maxRows];
    }

    /// <summary>Floats per row (C×H×W).</summary>
    public int ImageSize { get; }

    /// <summary>Ints of one row's condition: 1 (a class label) or a text model's token ids a prompt.</summary>
    public int ConditionWidth { get; }

    /// <summary>Row capacity.</summary>
    public int MaxRows { get; }

    /// <summary>Rows added.</summary>
    public int Rows { get; private set; }

    /// <summary>Images added.</summary>
    public int Images { get; private set; }

    /// <summary>Groups added.</summary>
    public int Groups { get; private set; }

    /// <summary>Rows still free.</summary>
    public int FreeRows => MaxRows - Rows;

    /// <summary>Inputs x_t, [Rows, C, H, W].</summary>
    public ReadOnlySpan<float> Latents => latents.AsSpan(0, Rows * ImageSize);

    /// <summary>Timestep of each row, [Rows].</summary>
    public ReadOnlySpan<float> Timesteps => timesteps.AsSpan(0, Rows);

    /// <summary>Condition of each row, [Rows, ConditionWidth]: what the backend's <c>conditions</c> takes.</summary>
    public ReadOnlySpan<int> Conditions => conditions.AsSpan(0, Rows * ConditionWidth);

    /// <summary>Class label of each row, [Rows], in a batch of one int a row (the same span as <see cref="Conditions"/>).</summary>
    /// <exception cref="InvalidOperationException">The batch carries token ids (<see cref="ConditionWidth"/> &gt; 1).</exception>
    public ReadOnlySpan<int> ClassLabels => ConditionWidth == 1
        ? Conditions
        : throw new InvalidOperationException($"this batch carries {ConditionWidth} ints a row (a prompt's token ids), not class labels; read Conditions");

    /// <summary>Empties the batch (capacity is kept).</summary>
    public void Clear()
    {
        Array.Clear(groupPolicy, 0, Groups);
        Array.Clear(groupToken, 0, Groups);
        Rows = 0;
        Images = 0;
        Groups = 0;
    }

    /// <summary>
    /// Starts a group whose images exit where <paramref name="policy"/> decides for sampling step
    /// <paramref name="step"/> (0 first); the following <c>AddImage</c> calls add to it. Returns its index.
    /// </summary>
    public int AddGroup(IExitPolicy policy, int step, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (Groups == MaxRows)
        {
            throw new InvalidOperationException("too many groups");
        }
        int group = Groups++;
        groupPolicy[group] = policy;
        groupStep[group] = step;
        groupToken[group] = cancellationToken;
        groupFirstImage[group] = Images;
        groupImages[group] = 0;
        return group;
    }

    /// <summary>
    /// Adds an image to the last group: one row with <paramref name="classLabel"/>, and, when
    /// <paramref name="guidanceNullClass"/> is not null, a second row with that label (same latent and
    /// timestep). Returns the image index. For a batch of one int a row (class labels).
    /// </summary>
    public int AddImage(ReadOnlySpan<float> latent, float timestep, int classLabel, int? guidanceNullClass)
    {
        if (ConditionWidth != 1)
        {
            throw new InvalidOperationException($"this batch carries {ConditionWidth} ints a row (a prompt's token ids); pass the condition as a span");
        }
        int nullClass = guidanceNullClass ?? 0;
        return AddImage(latent, timestep, new ReadOnlySpan<int>(in classLabel),
            guidanceNullClass is null ? ReadOnlySpan<int>.Empty : new ReadOnlySpan<int>(in nullClass));
    }

    /// <summary>
    /// Adds an image to the last group: one row with <paramref name="condition"/> (<see cref="ConditionWidth"/> ints),
    /// and, when <paramref name="guidanceUnconditional"/> is not empty, a second row with that condition (same latent
    /// and timestep): the unconditional row of classifier-free guidance. Returns the image index.
    /// </summary>
    public int AddImage(ReadOnlySpan<float> latent, float timestep, ReadOnlySpan<int> condition, ReadOnlySpan<int> guidanceUnconditional)
    {
        if (Groups == 0)
        {
            throw new InvalidOperationException("add a group first");
        }
        if (latent.Length != ImageSize)
        {
            throw new ArgumentException($"latent must have {ImageSize} floats", nameof(latent));
        }
        if (condition.Length != ConditionWidth)
        {
            throw new ArgumentException($"condition must have {ConditionWidth} ints; was {condition.Length}", nameof(condition));
        }
        if (!guidanceUnconditional.IsEmpty && guidanceUnconditional.Length != ConditionWidth)
        {
            throw new ArgumentException($"the unconditional condition must have {ConditionWidth} ints, or none without guidance; was {guidanceUnconditional.Length}", nameof(guidanceUnconditional));
        }
        int rows = guidanceUnconditional.IsEmpty ? 1 : 2;
        if (rows > FreeRows)
        {
            throw new InvalidOperationException($"batch full ({MaxRows} rows)");
        }
        int image = Images++;
        int group = Groups - 1;
        imageFirstRow[image] = Rows;
        imageRows[image] = rows;
        imageGroup[image] = group;
        groupImages[group]++;
        AddRow(image, latent, timestep, condition);
        if (!guidanceUnconditional.IsEmpty)
        {
            AddRow(image, latent, timestep, guidanceUnconditional);
        }
        return image;
    }

    /// <summary>Network ε̂ of a row at its exit layer, [C, H, W]; valid after a run when <see cref="ExitLayer"/> &gt; 0.</summary>
    public ReadOnlySpan<float> Epsilon(int row) => epsilon.AsSpan(row * ImageSize, ImageSize);

    /// <summary>Exit layer of a row (1..depth) after a run; 0 if it was dropped because its group was cancelled.</summary>
    public int ExitLayer(int row) => exitLayers[row];

    /// <summary>Certainty of a row at its exit layer; NaN if never evaluated.</summary>
    public float Certainty(int row) => certainties[row];

    /// <summary>Uncertainty-head evaluations this row went through.</summary>
    public int UemEvaluations(int row) => uemEvaluations[row];

    /// <summary>Image of a row.</summary>
    public int RowImage(int row) => rowImage[row];

    /// <summary>First row of an image.</summary>
    public int ImageFirstRow(int image) => imageFirstRow[image];

    /// <summary>Rows of an image (1, or 2 with guidance).</summary>
    public int ImageRows(int image) => imageRows[image];

    /// <summary>Group of an image.</summary>
    public int ImageGroup(int image) => imageGroup[image];

    /// <summary>Exit layer of an image (its rows exit together).</summary>
    public int ImageExitLayer(int image) => exitLayers[imageFirstRow[image]];

    /// <summary>Certainty of an image at its exit layer: the minimum over its rows.</summary>
    public float ImageCertainty(int image)
    {
        int first = imageFirstRow[image];
        return imageRows[image] == 1 ? certainties[first] : MathF.Min(certainties[first], certainties[first + 1]);
    }

    /// <summary>Exit policy of a group.</summary>
    public IExitPolicy GroupPolicy(int group) => groupPolicy[group];

    /// <summary>Sampling step of a group (0 first), the step its policy is asked about.</summary>
    public int GroupStep(int group) => groupStep[group];

    /// <summary>Cancellation token of a group.</summary>
    public CancellationToken GroupToken(int group) => groupToken[group];

    /// <summary>First image of a group.</summary>
    public int GroupFirstImage(int group) => groupFirstImage[group];

    /// <summary>Images of a group.</summary>
    public int GroupImages(int group) => groupImages[group];

    /// <summary>Group of a row.</summary>
    public int RowGroup(int row) => imageGroup[rowImage[row]];

    internal Span<float> EpsilonSlot(int row) => epsilon.AsSpan(row * ImageSize, ImageSize);

    /// <summary>The ε slots of rows 0..<paramref name="rows"/>−1, [rows, C, H, W], contiguous.</summary>
    internal Span<float> EpsilonSlots(int rows) => epsilon.AsSpan(0, rows * ImageSize);

    internal void ResetResults()
    {
        Array.Clear(exitLayers, 0, Rows);
        Array.Fill(certainties, float.NaN, 0, Rows);
        Array.Clear(uemEvaluations, 0, Rows);
    }

    internal void RecordExit(int row, int layer) => exitLayers[row] = layer;

    internal void RecordCertainty(int row, float certainty)
    {
        certainties[row] = certainty;
        uemEvaluations[row]++;
    }

    private void AddRow(int image, ReadOnlySpan<float> latent, float timestep, ReadOnlySpan<int> condition)
    {
        int row = Rows++;
        latent.CopyTo(latents.AsSpan(row * ImageSize, ImageSize));
        timesteps[row] = timestep;
        condition.CopyTo(conditions.AsSpan(row * ConditionWidth, ConditionWidth));
        rowImage[row] = image;
    }
}
