using System.Diagnostics;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Engine.Exits;

/// <summary>
/// Drives a backend's layer loop over a <see cref="DenoiseBatch"/> with per-row exits:
/// Begin → for each layer: drop the rows of cancelled groups (Keep) → RunLayer → when some row may exit
/// at this layer, Certainty (only where an ADAPTIVE row's decision needs it) → Predict the exiting rows into their ε slots → Keep the rest. The uncertainty
/// heads are evaluated only at layers where some row could exit. Guidance pairs exit together on the
/// minimum of their certainties; groups with <see cref="ExitPolicySettings.PerBatchDecision"/> exit as a
/// whole on the mean of their images' certainties. Not thread-safe: one per scheduler worker.
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

        long rowLayers = 0;
        int certaintyEvaluations = 0;
        int layersRun = 0;
        int count = rows;
        using (IDenoiserBatch network = backend.Begin(batch.Latents, batch.Timesteps, batch.ClassLabels))
        {
            for (int layer = 1; layer <= depth && count > 0; layer++)
            {
                count = DropCancelled(batch, network, count);
                if (count == 0)
                {
                    break;
                }
                network.RunLayer();
                layersRun = layer;
                rowLayers += count;
                if (!AnyMayExit(batch, layer))
                {
                    continue;
                }
                Span<float> certainties = certainty.AsSpan(0, count);
                bool measured = AnyNeedsCertainty(batch, layer);
                if (measured)
                {
                    network.Certainty(certainties);
                    certaintyEvaluations++;
                }
                else
                {
                    certainties.Fill(float.NaN); // only FULL_DEPTH / FIXED_DEPTH rows here: no head runs
                }
                count = ExitRows(batch, network, layer, count, certainties, measured);
            }
        }
        return new DenoisePass(rows, rowLayers, layersRun, certaintyEvaluations, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    private int DropCancelled(DenoiseBatch batch, IDenoiserBatch network, int count)
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
            kept++;
        }
        if (kept > 0)
        {
            network.Keep(positions.AsSpan(0, kept));
        }
        return kept;
    }

    private bool AnyMayExit(DenoiseBatch batch, int layer)
    {
        for (int g = 0; g < batch.Groups; g++)
        {
            if (groupRemaining[g] > 0 && ExitPolicy.MayExitAt(batch.GroupPolicy(g), layer, depth))
            {
                return true;
            }
        }
        return false;
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
