using System.Runtime.InteropServices;
using AdaDiff.Engine;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Parity.Tests;

/// <summary>
/// Fixed inputs of one parity run: seeded x_t [B, C, H, W], a spread of timesteps (0, T−1, a fractional one)
/// and labels covering the first, last and null class.
/// </summary>
internal sealed class ParityCase
{
    private ParityCase(ModelManifest manifest, float[] latents, float[] timesteps, int[] labels)
    {
        Manifest = manifest;
        Latents = latents;
        Timesteps = timesteps;
        Labels = labels;
    }

    public ModelManifest Manifest { get; }

    public int Rows => Timesteps.Length;

    /// <summary>x_t, [B, C, H, W] flattened.</summary>
    public float[] Latents { get; }

    /// <summary>t, [B].</summary>
    public float[] Timesteps { get; }

    /// <summary>y, [B]; all NullClass (= 0) for an unconditional model; a text model's token ids [B, M], row 0 all padding.</summary>
    public int[] Labels { get; }

    public static ParityCase Create(ModelManifest manifest, int seed)
    {
        int last = manifest.NoiseSchedule.Timesteps - 1;
        float[] timesteps = [0f, last, 1f, 500f, 250.5f, last - 1, 37f, 750f];
        var random = new Random(seed);
        var labels = new int[timesteps.Length * manifest.ConditionWidth];
        for (int r = 0; manifest.Conditioning == ConditioningKind.Text && r < timesteps.Length; r++)
        {
            // Row 0 the unconditional prompt (padding only), the others [BOS] words [EOS] padding of varied lengths.
            int m = manifest.ConditionWidth, words = r == 0 ? -2 : Math.Min(r, m - 2);
            for (int i = 0; i < words + 2; i++)
            {
                labels[(r * m) + i] = i == 0 ? 2 : i == words + 1 ? 3 : random.Next(4, manifest.Text!.VocabularySize);
            }
        }
        for (int r = 0; manifest.Conditioning == ConditioningKind.Class && r < timesteps.Length; r++)
        {
            labels[r] = manifest.NumClasses == 0 ? 0 : r switch
            {
                0 => manifest.NullClass,
                1 => 0,
                2 => manifest.NumClasses - 1,
                3 => manifest.NullClass,
                _ => random.Next(0, manifest.NullClass + 1),
            };
        }
        var latents = new float[timesteps.Length * manifest.ImageSize];
        for (int i = 0; i < latents.Length; i += 2)
        {
            // Box–Muller: x_T is N(0, I); a few rows are scaled so the inputs also cover |x| up to ~6.
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            double scale = i / manifest.ImageSize % 4 == 3 ? 1.5 : 1.0;
            latents[i] = (float)(scale * r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < latents.Length)
            {
                latents[i + 1] = (float)(scale * r * Math.Sin(2 * Math.PI * u2));
            }
        }
        return new ParityCase(manifest, latents, timesteps, labels);
    }

    /// <summary>Writes x (F32), t (F32) and y (I64) as the reference's input file.</summary>
    public void Write(string path)
    {
        var y = new long[Labels.Length];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = Labels[i];
        }
        long[] shape = Manifest.Conditioning == ConditioningKind.Text ? [Rows, Manifest.ConditionWidth] : [Rows];
        var file = new SafetensorsFile(
        [
            SafetensorsTensor.FromSingles("x", [Rows, Manifest.Channels, Manifest.Height, Manifest.Width], Latents),
            SafetensorsTensor.FromSingles("t", [Rows], Timesteps),
            new SafetensorsTensor("y", SafetensorsDType.I64, shape, MemoryMarshal.AsBytes(y.AsSpan()).ToArray()),
        ]);
        file.Write(path);
    }
}
