namespace AdaDiff.Engine.Exits;

/// <summary>
/// Turns exit layers into <see cref="ComputeTotals"/> with the model's per-stage FLOP counts.
/// Per image and step: layers executed = its exit layer, layers full = depth (guidance rows do not
/// double layers). Per network row: FLOPs executed = embed + Σ layers run + uncertainty-head
/// evaluations made × UEM + head; FLOPs full = <see cref="FlopCounts.FullForward"/> (so guidance doubles FLOPs).
/// </summary>
public sealed class ComputeLedger
{
    private readonly double[] layerPrefix;
    private readonly double fixedCost;
    private readonly double uem;

    /// <summary>Creates the ledger of a model.</summary>
    public ComputeLedger(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        Depth = manifest.Depth;
        FlopCounts flops = manifest.Flops;
        if (flops.PerLayer.Length != Depth)
        {
            throw new ArgumentException("flops.perLayer must have depth entries", nameof(manifest));
        }
        layerPrefix = new double[Depth + 1];
        for (int i = 0; i < Depth; i++)
        {
            layerPrefix[i + 1] = layerPrefix[i] + flops.PerLayer[i];
        }
        fixedCost = flops.Embed + flops.Head;
        uem = flops.Uem;
        FullRowFlops = flops.FullForward;
    }

    /// <summary>Network depth.</summary>
    public int Depth { get; }

    /// <summary>FLOPs of one full-depth row without uncertainty heads.</summary>
    public double FullRowFlops { get; }

    /// <summary>FLOPs of one row that ran <paramref name="exitLayer"/> layers and <paramref name="uemEvaluations"/> uncertainty heads.</summary>
    public double RowFlops(int exitLayer, int uemEvaluations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(exitLayer, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(exitLayer, Depth);
        return fixedCost + layerPrefix[exitLayer] + (uemEvaluations * uem);
    }

    /// <summary>
    /// One image's step: it left at <paramref name="exitLayer"/> with <paramref name="rows"/> network rows
    /// (2 with guidance) that together went through <paramref name="uemEvaluations"/> uncertainty heads.
    /// </summary>
    public ComputeTotals ImageStep(int exitLayer, int rows, int uemEvaluations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(exitLayer, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(exitLayer, Depth);
        double executed = (rows * (fixedCost + layerPrefix[exitLayer])) + (uemEvaluations * uem);
        return new ComputeTotals(exitLayer, Depth, executed, rows * FullRowFlops);
    }

    /// <summary>One image of a run batch (all its rows).</summary>
    public ComputeTotals ImageStep(DenoiseBatch batch, int image)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int first = batch.ImageFirstRow(image);
        int rows = batch.ImageRows(image);
        int uemEvaluations = 0;
        for (int r = first; r < first + rows; r++)
        {
            uemEvaluations += batch.UemEvaluations(r);
        }
        return ImageStep(batch.ImageExitLayer(image), rows, uemEvaluations);
    }

    /// <summary>All images of a group (one job's step) of a run batch.</summary>
    public ComputeTotals GroupStep(DenoiseBatch batch, int group)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ComputeTotals totals = default;
        int first = batch.GroupFirstImage(group);
        for (int image = first; image < first + batch.GroupImages(group); image++)
        {
            totals += ImageStep(batch, image);
        }
        return totals;
    }
}
