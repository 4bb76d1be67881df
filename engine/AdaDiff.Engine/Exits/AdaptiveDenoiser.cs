using System.Diagnostics;
using AdaDiff.Engine.Backends;

namespace AdaDiff.Engine.Exits;

/// <summary>
/// Drives a backend's layer loop over a <see cref="DenoiseBatch"/> with per-row exits, in as few backend calls
/// as the exit policies allow. Each group's policy gives the layers its step's images may exit at
/// (<see cref="IExitPolicy.BoundsAt"/>), and each pass is planned from the groups still in the batch: the next layer
/// where any row may exit; the layers before it run as one call (<see cref="IDenoiserBatch.RunLayers"/>; the first
/// such call after Begin may include the embedding), that layer and its uncertainty heads as one call
/// (<see cref="IDenoiserBatch.RunLayerWithCertainty"/>) where a group's bounds ask for certainties, else the layer
/// joins the call before; then each group's policy selects its exiting images (<see cref="IExitPolicy.SelectExits"/>),
/// Predict writes their rows' ε, and Keep drops them. A pass where every row leaves at one depth without certainty
/// (all FULL_DEPTH, or all FIXED_DEPTH at one depth) is one call (<see cref="IDenoiserBackend.PredictAtDepth"/>).
/// The denoiser owns what no policy may change: nothing exits before a group's earliest layer, everything still in
/// the network exits at its latest, and guidance pairs exit together on the minimum of their certainties. Rows of
/// cancelled groups leave between calls: a call is not interrupted, and a group cancelled during it is dropped after
/// it with its results discarded (exit layer 0). The backends give every row the same bytes whichever calls ran it,
/// so the plan changes no result. Not thread-safe: one per scheduler worker.
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
    private int[] decidedImage = [];
    private float[] decidedCertainty = [];
    private bool[] decidedExit = [];
    private bool[] imageExit = [];
    private bool[] groupCancelled = [];
    private int[] groupRemaining = [];
    private ExitBounds[] groupBounds = [];
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
        for (int g = 0; g < batch.Groups; g++)
        {
            groupBounds[g] = Bounds(batch, g);
        }

        if (SingleExitDepth(batch) is int exitDepth)
        {
            return RunAtDepth(batch, exitDepth, start);
        }

        long rowLayers = 0;
        int certaintyEvaluations = 0;
        int layer = 0;
        int count = rows;
        using (IDenoiserBatch network = backend.Begin(batch.Latents, batch.Timesteps, batch.Conditions))
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
                    certainties.Fill(float.NaN); // no group's bounds ask for certainty here: no head runs
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

    /// <summary>The bounds of a group's step, checked against the network (a policy that breaks them is a bug, not a bad request).</summary>
    private ExitBounds Bounds(DenoiseBatch batch, int group)
    {
        int step = batch.GroupStep(group);
        ExitBounds bounds = batch.GroupPolicy(group).BoundsAt(step, depth);
        if (!bounds.FitsDepth(depth))
        {
            throw new InvalidOperationException(
                $"the exit policy {batch.GroupPolicy(group).GetType().Name} gave layers {bounds.Earliest}..{bounds.Latest} for step {step}; they must lie in 1..{depth}");
        }
        return bounds;
    }

    /// <summary>
    /// The depth at which every row of the batch leaves whatever its certainty, when every group's bounds are that one
    /// layer without certainty and no group is cancelled yet; else null.
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
            if (batch.GroupToken(g).IsCancellationRequested)
            {
                return null;
            }
            ExitBounds bounds = groupBounds[g];
            if (bounds.NeedsCertainty || bounds.Earliest != bounds.Latest || (single != 0 && bounds.Latest != single))
            {
                return null;
            }
            single = bounds.Latest;
        }
        return single == 0 ? null : single;
    }

    /// <summary>Every row through embed → <paramref name="exitDepth"/> layers → head in one backend call.</summary>
    private DenoisePass RunAtDepth(DenoiseBatch batch, int exitDepth, long start)
    {
        int rows = batch.Rows;
        backend.PredictAtDepth(batch.Latents, batch.Timesteps, batch.Conditions, exitDepth, batch.EpsilonSlots(rows));
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

    /// <summary>
    /// The first layer after <paramref name="layersRun"/> where a row of a group still in the batch may exit: the
    /// earliest of those groups' bounds, or the next layer once it is past (a group leaves at its latest bound).
    /// </summary>
    private int NextExitLayer(DenoiseBatch batch, int layersRun)
    {
        int next = depth;
        for (int g = 0; g < batch.Groups; g++)
        {
            if (groupRemaining[g] > 0)
            {
                next = Math.Min(next, Math.Max(groupBounds[g].Earliest, layersRun + 1));
            }
        }
        return next;
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
            if (groupRemaining[g] > 0 && NeedsCertaintyAt(groupBounds[g], layer))
            {
                return true;
            }
        }
        return false;
    }

    private static bool NeedsCertaintyAt(ExitBounds bounds, int layer) => bounds.NeedsCertainty && layer >= bounds.Earliest && layer <= bounds.Latest;

    /// <summary>The rows whose images exit at <paramref name="layer"/> take their ε (Predict); the rest stay (Keep). Returns the rows left.</summary>
    private int ExitRows(DenoiseBatch batch, IDenoiserBatch network, int layer, int count, ReadOnlySpan<float> certainties, bool measured)
    {
        int decided = CollectImages(batch, layer, count, certainties, measured);
        DecideGroups(batch, layer, decided);

        int exits = 0;
        int kept = 0;
        for (int p = 0; p < count; p++)
        {
            int row = positionRow[p];
            if (imageExit[batch.RowImage(row)])
            {
                exiting[exits] = p;
                exitingRow[exits] = row;
                exits++;
                batch.RecordExit(row, layer);
                groupRemaining[batch.RowGroup(row)]--;
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

    /// <summary>
    /// Records the certainties the groups' decisions use and lists the images still in the batch, in position order,
    /// with their certainty: the minimum over their rows (an image's rows are adjacent, and so are a group's images).
    /// Returns how many.
    /// </summary>
    private int CollectImages(DenoiseBatch batch, int layer, int count, ReadOnlySpan<float> certainties, bool measured)
    {
        int decided = 0;
        for (int p = 0; p < count; p++)
        {
            int row = positionRow[p];
            if (measured && NeedsCertaintyAt(groupBounds[batch.RowGroup(row)], layer))
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
                decidedImage[decided] = image;
                decidedCertainty[decided] = value;
                decided++;
            }
        }
        return decided;
    }

    /// <summary>Decides, per group's run of the listed images, which exit: its bounds outside them, its policy inside.</summary>
    private void DecideGroups(DenoiseBatch batch, int layer, int decided)
    {
        for (int first = 0; first < decided;)
        {
            int group = batch.ImageGroup(decidedImage[first]);
            int end = first + 1;
            while (end < decided && batch.ImageGroup(decidedImage[end]) == group)
            {
                end++;
            }
            Span<bool> groupExits = decidedExit.AsSpan(first, end - first);
            ExitBounds bounds = groupBounds[group];
            if (layer >= bounds.Latest)
            {
                groupExits.Fill(true);
            }
            else if (layer < bounds.Earliest)
            {
                groupExits.Clear();
            }
            else
            {
                batch.GroupPolicy(group).SelectExits(batch.GroupStep(group), layer, decidedCertainty.AsSpan(first, end - first), groupExits);
            }
            for (int i = first; i < end; i++)
            {
                imageExit[decidedImage[i]] = decidedExit[i];
            }
            first = end;
        }
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
            decidedImage = new int[rows];
            decidedCertainty = new float[rows];
            decidedExit = new bool[rows];
            imageExit = new bool[rows];
            predictions = new float[rows * batch.ImageSize]; // 200 KB at 64 rows of 28×28×1
        }
        if (groupCancelled.Length < batch.Groups)
        {
            groupCancelled = new bool[batch.Groups];
            groupRemaining = new int[batch.Groups];
            groupBounds = new ExitBounds[batch.Groups];
        }
    }
}
