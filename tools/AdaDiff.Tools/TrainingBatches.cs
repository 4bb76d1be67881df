using AdaDiff.Backends.TorchSharp.Training;
using static TorchSharp.torch;

namespace AdaDiff.Tools;

/// <summary>
/// The training images of step n: a fixed shuffle per epoch (from the seed and the epoch number), so a run that resumes
/// at step n sees the same batches as one that never stopped.
/// </summary>
internal sealed class TrainingBatches(FashionMnist data, int batch, int seed)
{
    private int[] permutation = [];
    private long permutationEpoch = -1;

    /// <summary>Whole batches per epoch (the remainder of the 60,000 images is left out of that epoch).</summary>
    public int StepsPerEpoch { get; } = data.Count / batch;

    /// <summary>
    /// Images (in [−1, 1], row-major), labels and indices in the split of step <paramref name="step"/>: batch × 784,
    /// batch and batch values.
    /// </summary>
    public void Fill(long step, float[] images, long[] labels, int[] indices)
    {
        long epoch = step / StepsPerEpoch;
        if (epoch != permutationEpoch)
        {
            permutation = Permutation(data.Count, seed, epoch);
            permutationEpoch = epoch;
        }
        int offset = (int)(step % StepsPerEpoch) * batch;
        for (int i = 0; i < batch; i++)
        {
            int index = permutation[offset + i];
            Array.Copy(data.Images, (long)index * FashionMnist.Pixels, images, (long)i * FashionMnist.Pixels, FashionMnist.Pixels);
            labels[i] = data.Labels[index];
            indices[i] = index;
        }
    }

    /// <summary>Fisher–Yates shuffle of 0..count−1 from (seed, epoch).</summary>
    public static int[] Permutation(int count, int seed, long epoch)
    {
        var random = new Random(unchecked(seed * 7919 + (int)epoch));
        int[] result = Enumerable.Range(0, count).ToArray();
        for (int i = result.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (result[i], result[j]) = (result[j], result[i]);
        }
        return result;
    }
}

/// <summary>
/// One noised training batch: x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε with conditions dropped to the unconditional one (the null
/// class, or the all-padding prompt).
/// </summary>
/// <param name="Xt">Noised images, [B, 1, 28, 28].</param>
/// <param name="Timesteps">t, [B] (int64).</param>
/// <param name="Conditions">Class labels [B] or prompt token ids [B, M] after dropout (int64).</param>
/// <param name="Noise">ε, [B, 1, 28, 28].</param>
internal sealed record NoisedBatch(Tensor Xt, Tensor Timesteps, Tensor Conditions, Tensor Noise)
{
    /// <summary>
    /// Draws flips (when <paramref name="horizontalFlip"/>), condition dropout, timesteps and noise from
    /// <paramref name="generator"/>, in that order (the order a resumed run relies on): a dropped row takes
    /// <paramref name="nullValue"/> in every entry. Tensors belong to the caller's dispose scope.
    /// </summary>
    /// <param name="images">x₀, batch × 784 in [−1, 1].</param>
    /// <param name="conditions">The rows' conditions, batch × (product of <paramref name="rowShape"/>) values.</param>
    /// <param name="rowShape">One row's condition shape: [] for class labels, [M] for token ids.</param>
    /// <param name="nullValue">The unconditional row's value (null class, or [PAD]).</param>
    /// <param name="alphasBar">ᾱ_t, [T].</param>
    /// <param name="dropout">Probability that a row is dropped to the unconditional one.</param>
    /// <param name="horizontalFlip">Flip half the images left to right.</param>
    /// <param name="generator">The step's random numbers.</param>
    public static NoisedBatch Draw(float[] images, long[] conditions, long[] rowShape, long nullValue, Tensor alphasBar, double dropout, bool horizontalFlip, Generator generator)
    {
        int batch = images.Length / FashionMnist.Pixels;
        Tensor x0 = tensor(images, [batch, 1, FashionMnist.Side, FashionMnist.Side]);                  // [B, 1, 28, 28]
        if (horizontalFlip)
        {
            Tensor flip = rand([batch], generator: generator).lt(0.5).view(batch, 1, 1, 1);         // [B, 1, 1, 1]
            x0 = where(flip, x0.flip(3), x0);                                                         // [B, 1, 28, 28]
        }
        Tensor y = tensor(conditions, [batch, .. rowShape]);                                          // [B] or [B, M]
        Tensor drop = rand([batch], generator: generator).lt(dropout);                                // [B]
        Tensor dropRows = drop.view([batch, .. rowShape.Select(_ => 1L)]);                            // [B] or [B, 1]
        y = where(dropRows, full_like(y, nullValue), y);                                              // [B] or [B, M]
        Tensor t = randint(0, alphasBar.shape[0], [batch], generator: generator);                     // [B]
        Tensor noise = randn([batch, 1, FashionMnist.Side, FashionMnist.Side], generator: generator); // [B, 1, 28, 28]
        Tensor ab = alphasBar.index_select(0, t).view(batch, 1, 1, 1);                                // [B, 1, 1, 1]
        Tensor xt = (ab.sqrt() * x0) + ((1 - ab).sqrt() * noise);                                     // [B, 1, 28, 28]
        return new NoisedBatch(xt, t, y, noise);
    }
}
