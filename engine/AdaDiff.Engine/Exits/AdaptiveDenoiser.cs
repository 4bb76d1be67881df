using System.Diagnostics;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Engine.Exits;

/// <summary>
/// Drives a backend's layer loop over a <see cref="DenoiseBatch"/> with per-row exits, in as few backend calls
/// as the exit policies allow. Each pass is planned from the groups still in the batch: the next layer where any
/// row may exit (<see cref="ExitPolicy.MayExitAt"/>); the layers before it run as one call
/// (<see cref="IDenoiserBatch.RunLayers"/>; the first such call after Begin may include the embedding), that layer
/// and its uncertainty heads as one call (<see cref="IDenoiserBatch.RunLayerWithCertainty"/>) where an ADAPTIVE
/// row's decision needs them, else the layer joins the call before; then Predict for the exiting rows into their
/// ε slots and Keep for the rest. A pass where every row leaves at one depth without certainty (all FULL_DEPTH, or
/// all FIXED_DEPTH at one depth) is one call (<see cref="IDenoiserBackend.PredictAtDepth"/>). Rows of cancelled
/// groups leave between calls: a call is not interrupted, and a group cancelled during it is dropped after it with
/// its results discarded (exit layer 0). Guidance pairs exit together on the minimum of their certainties; groups
/// with <see cref="ExitPolicySettings.PerBatchDecision"/> exit as a whole on the mean of their images' certainties.
/// The backends give every row the same bytes whichever calls ran it, so the plan changes no result. Not
/// thread-safe: one per scheduler worker.
/// </summary>
public sealed class AdaptiveDenoiser
{
    private readonly IDenoiserBackend backend;
    private readonly int depth;

    // Scratch sized by the largest batch seen (grown once, then reused): per position, per image and per group.
    private int[] positionRow = [];
    private int[] positions = [];
    private int[] exiting = [];
    private int[] exitingRow = [];
    private float[] certainty = [];
    private float[] imageCertainty = [];
    private bool[] groupCancelled = [];
    private bool[] groupExit = [];
    private double[] groupSum = [];
    private int[] groupCount = [];
    private int[] groupRemaining = [];
    private float[] predictions = [];

    /// <summary>Creates a denoiser over <paramref name="backend"/>.</summary>
    public AdaptiveDenoiser(IDenoiserBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        this.backend = backend;
        depth = backend.Manifest.Depth;
    }

    /// <summary>Network depth.</summary>
    public int Depth => depth;

    /// <summary>
    /// Runs the batch through the network; afterwards every row has its ε̂, exit layer, certainty and
    /// uncertainty-head count (exit layer 0 for rows of groups cancelled during the pass).
    /// </summary>
    public DenoisePass Run(DenoiseBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.ImageSize != backend.Manifest.ImageSize)
        {
            throw new ArgumentException($"batch rows have {batch.ImageSize} floats; the model's images have {backend.Manifest.ImageSize}", nameof(batch));
        }
        batch.ResetResults();
        int rows = batch.Rows;
        if (rows == 0)
        {
            return default;
        }
        EnsureCapacity(batch);
        long start = Stopwatch.GetTimestamp();
        for (int p = 0; p < rows; p++)
        {
            positionRow[p] = p;
        }
        Array.Clear(groupRemaining, 0, batch.Groups);
        for (int image = 0; image < batch.Images; image++)
        {
            groupRemaining[batch.ImageGroup(image)] += batch.ImageRows(image);
        }

        if (SingleExitDepth(batch) is int exitDepth)
        {
            return RunAtDepth(batch, exitDepth, start);
        }

        long rowLayers = 0;
        int certaintyEvaluations = 0;
        int layer = 0;
        int count = rows;
        using (IDenoiserBatch network = backend.Begin(batch.Latents, batch.Timesteps, batch.ClassLabels))
        {
            while (true)
            {
                count = DropCancelled(batch, network, count, []);
                if (count == 0 || layer == depth)
                {
                    break;
                }
                int next = NextExitLayer(batch, layer);
                bool measured = AnyNeedsCertainty(batch, next);
                int plain = next - layer - (measured ? 1 : 0);
                if (plain > 0)
                {
                    network.RunLayers(plain);
                    layer += plain;
                    rowLayers += (long)count * plain;
                    if (measured)
                    {
                        continue; // drop the groups cancelled during the call, then plan again from here
                    }
                }
                Span<float> certainties = certainty.AsSpan(0, count);
                if (measured)
                {
                    network.RunLayerWithCertainty(certainties);
                    layer++;
                    rowLayers += count;
                    certaintyEvaluations++;
                }
                else
                {
                    certainties.Fill(float.NaN); // only FULL_DEPTH / FIXED_DEPTH rows here: no head runs
                }
                count = DropCancelled(batch, network, count, certainties);
                if (count > 0)
                {
                    count = ExitRows(batch, network, layer, count, certainty.AsSpan(0, count), measured);
                }
            }
        }
        return new DenoisePass(rows, rowLayers, layer, certaintyEvaluations, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <summary>
    /// The depth at which every row of the batch leaves whatever its certainty, when no row's decision needs a
    /// certainty on the way and no group is cancelled yet; else null.
    /// </summary>
    private int? SingleExitDepth(DenoiseBatch batch)
    {
        int single = 0;
        for (int g = 0; g < batch.Groups; g++)
        {
            if (groupRemaining[g] == 0)
            {
                continue;
            }
            ExitPolicySettings policy = batch.GroupPolicy(g);
            if (batch.GroupToken(g).IsCancellationRequested)
            {
                return null;
            }
            int exit = 1;
            while (!ExitPolicy.MayExitAt(policy, exit, depth))
            {
                exit++;
            }
            for (int layer = 1; layer <= exit; layer++)
            {
                if (ExitPolicy.NeedsCertaintyAt(policy, layer))
                {
                    return null;
                }
            }
            if (!ExitPolicy.ShouldExit(policy, exit, depth, float.NaN) || (single != 0 && exit != single))
            {
                return null;
            }
            single = exit;
        }
        return single == 0 ? null : single;
    }

    /// <summary>Every row through embed → <paramref name="exitDepth"/> layers → head in one backend call.</summary>
    private DenoisePass RunAtDepth(DenoiseBatch batch, int exitDepth, long start)
    {
        int rows = batch.Rows;
        backend.PredictAtDepth(batch.Latents, batch.Timesteps, batch.ClassLabels, exitDepth, batch.EpsilonSlots(rows));
        for (int g = 0; g < batch.Groups; g++)
        {
            groupCancelled[g] = batch.GroupToken(g).IsCancellationRequested; // cancelled during the call: results discarded
        }
        for (int row = 0; row < rows; row++)
        {
            if (!groupCancelled[batch.RowGroup(row)])
            {
                batch.RecordExit(row, exitDepth);
            }
        }
        return new DenoisePass(rows, (long)rows * exitDepth, exitDepth, 0, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <summary>The first layer after <paramref name="layersRun"/> where a row of a group still in the batch may exit (the last layer at the latest).</summary>
    private int NextExitLayer(DenoiseBatch batch, int layersRun)
    {
        for (int layer = layersRun + 1; layer < depth; layer++)
        {
            for (int g = 0; g < batch.Groups; g++)
            {
                if (groupRemaining[g] > 0 && ExitPolicy.MayExitAt(batch.GroupPolicy(g), layer, depth))
                {
                    return layer;
                }
            }
        }
        return depth;
    }

    /// <summary>
    /// Drops the rows of groups cancelled since the last call (Keep); <paramref name="certainties"/>, when not empty,
    /// is compacted alongside. Returns the rows left.
    /// </summary>
    private int DropCancelled(DenoiseBatch batch, IDenoiserBatch network, int count, Span<float> certainties)
    {
        bool any = false;
        for (int g = 0; g < batch.Groups; g++)
        {
            bool cancelled = groupRemaining[g] > 0 && batch.GroupToken(g).IsCancellationRequested;
            groupCancelled[g] = cancelled;
            any |= cancelled;
        }
        if (!any)
        {
            return count;
        }
        int kept = 0;
        for (int p = 0; p < count; p++)
        {
            int row = positionRow[p];
            int group = batch.RowGroup(row);
            if (groupCancelled[group])
            {
                groupRemaining[group]--;
                continue;
            }
            positions[kept] = p;
            positionRow[kept] = row;
            if (!certainties.IsEmpty)
            {
                certainties[kept] = certainties[p];
            }
            kept++;
        }
        if (kept > 0)
        {
            network.Keep(positions.AsSpan(0, kept));
        }
        return kept;
    }

    private bool AnyNeedsCertainty(DenoiseBatch batch, int layer)
    {
        for (int g = 0; g < batch.Groups; g++)
        {
            if (groupRemaining[g] > 0 && ExitPolicy.NeedsCertaintyAt(batch.GroupPolicy(g), layer))
            {
                return true;
            }
        }
        return false;
    }

    private int ExitRows(DenoiseBatch batch, IDenoiserBatch network, int layer, int count, ReadOnlySpan<float> certainties, bool measured)
    {
        // Record certainties; an image's certainty is the minimum over its rows (rows of an image are adjacent).
        Array.Clear(groupSum, 0, batch.Groups);
        Array.Clear(groupCount, 0, batch.Groups);
        for (int p = 0; p < count; p++)
        {
            int row = positionRow[p];
            if (measured && ExitPolicy.NeedsCertaintyAt(batch.GroupPolicy(batch.RowGroup(row)), layer))
            {
                batch.RecordCertainty(row, certainties[p]); // charged only to rows whose decision used it
            }
            int image = batch.RowImage(row);
            if (batch.ImageFirstRow(image) == row)
            {
                float value = certainties[p];
                if (batch.ImageRows(image) == 2)
                {
                    value = MathF.Min(value, certainties[p + 1]);
                }
                imageCertainty[image] = value;
                int group = batch.ImageGroup(image);
                groupSum[group] += value;
                groupCount[group]++;
            }
        }
        for (int g = 0; g < batch.Groups; g++)
        {
            ExitPolicySettings policy = batch.GroupPolicy(g);
            groupExit[g] = groupCount[g] > 0 && policy.PerBatchDecision
                && ExitPolicy.ShouldExit(policy, layer, depth, (float)(groupSum[g] / groupCount[g]));
        }

        int exits = 0;
        int kept = 0;
        for (int p = 0; p < count; p++)
        {
            int row = positionRow[p];
            int image = batch.RowImage(row);
            int group = batch.ImageGroup(image);
            ExitPolicySettings policy = batch.GroupPolicy(group);
            bool exit = policy.PerBatchDecision
                ? groupExit[group]
                : ExitPolicy.ShouldExit(policy, layer, depth, imageCertainty[image]);
            if (exit)
            {
                exiting[exits] = p;
                exitingRow[exits] = row;
                exits++;
                batch.RecordExit(row, layer);
                groupRemaining[group]--;
            }
            else
            {
                positions[kept] = p;
                positionRow[kept] = row;
                kept++;
            }
        }
        if (exits == 0)
        {
            return count;
        }

        int size = batch.ImageSize;
        Span<float> predicted = predictions.AsSpan(0, exits * size);
        network.Predict(exiting.AsSpan(0, exits), predicted);
        for (int e = 0; e < exits; e++)
        {
            predicted.Slice(e * size, size).CopyTo(batch.EpsilonSlot(exitingRow[e]));
        }
        if (kept > 0)
        {
            network.Keep(positions.AsSpan(0, kept));
        }
        return kept;
    }

    private void EnsureCapacity(DenoiseBatch batch)
    {
        int rows = batch.Rows;
        if (positionRow.Length < rows)
        {
            positionRow = new int[rows];
            positions = new int[rows];
            exiting = new int[rows];
            exitingRow = new int[rows];
            certainty = new float[rows];
            imageCertainty = new float[rows];
            predictions = new float[rows * batch.ImageSize]; // 200 KB at 64 rows of 28×28×1
        }
        if (groupCancelled.Length < batch.Groups)
        {
            groupCancelled = new bool[batch.Groups];
            groupExit = new bool[batch.Groups];
            groupSum = new double[batch.Groups];
            groupCount = new int[batch.Groups];
            groupRemaining = new int[batch.Groups];
        }
    }
}
