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

    /// <summary>Images (in [−1, 1], row-major) and labels of step <paramref name="step"/>: batch × 784 and batch values.</summary>
    public void Fill(long step, float[] images, long[] labels)
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

/// <summary>One noised training batch: x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε with labels dropped to the null class.</summary>
/// <param name="Xt">Noised images, [B, 1, 28, 28].</param>
/// <param name="Timesteps">t, [B] (int64).</param>
/// <param name="Labels">Class labels after dropout, [B] (int64).</param>
/// <param name="Noise">ε, [B, 1, 28, 28].</param>
internal sealed record NoisedBatch(Tensor Xt, Tensor Timesteps, Tensor Labels, Tensor Noise)
{
    /// <summary>
    /// Draws flips (when <paramref name="horizontalFlip"/>), label dropout, timesteps and noise from
    /// <paramref name="generator"/>, in that order (the order a resumed run relies on). Tensors belong to the
    /// caller's dispose scope.
    /// </summary>
    public static NoisedBatch Draw(float[] images, long[] labels, Tensor alphasBar, long nullClass, double labelDropout, bool horizontalFlip, Generator generator)
    {
        int batch = labels.Length;
        Tensor x0 = tensor(images, [batch, 1, FashionMnist.Side, FashionMnist.Side]);                  // [B, 1, 28, 28]
        if (horizontalFlip)
        {
            Tensor flip = rand([batch], generator: generator).lt(0.5).view(batch, 1, 1, 1);         // [B, 1, 1, 1]
            x0 = where(flip, x0.flip(3), x0);                                                         // [B, 1, 28, 28]
        }
        Tensor y = tensor(labels);                                                                    // [B]
        Tensor drop = rand([batch], generator: generator).lt(labelDropout);                           // [B]
        y = where(drop, full_like(y, nullClass), y);                                                  // [B]
        Tensor t = randint(0, alphasBar.shape[0], [batch], generator: generator);                     // [B]
        Tensor noise = randn([batch, 1, FashionMnist.Side, FashionMnist.Side], generator: generator); // [B, 1, 28, 28]
        Tensor ab = alphasBar.index_select(0, t).view(batch, 1, 1, 1);                                // [B, 1, 1, 1]
        Tensor xt = (ab.sqrt() * x0) + ((1 - ab).sqrt() * noise);                                     // [B, 1, 28, 28]
        return new NoisedBatch(xt, t, y, noise);
    }
}
