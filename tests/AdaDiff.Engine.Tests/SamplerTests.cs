using AdaDiff.Engine.Sampling;

namespace AdaDiff.Engine.Tests;

public class SamplerTests
{
    private static readonly NoiseSchedule Ddpm1000 = new(new NoiseScheduleSpec());
    private static readonly NoiseSchedule Small = new(new NoiseScheduleSpec { Timesteps = 20, BetaStart = 1e-3, BetaEnd = 0.2 });

    private static float[] Values(int n, int seed, double scale)
    {
        var random = new Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }
        return values;
    }

    private static double AlphaBar(NoiseScheduleSpec spec, int t)
    {
        double product = 1;
        for (int s = 0; s <= t; s++)
        {
            product *= 1 - (spec.BetaStart + (spec.BetaEnd - spec.BetaStart) * s / (spec.Timesteps - 1));
        }
        return product;
    }

    [Theory]
    [InlineData(SamplerKind.Ddim, 1)]
    [InlineData(SamplerKind.Ddim, 10)]
    [InlineData(SamplerKind.Ddim, 50)]
    [InlineData(SamplerKind.DpmSolverPP2M, 1)]
    [InlineData(SamplerKind.DpmSolverPP2M, 2)]
    [InlineData(SamplerKind.DpmSolverPP2M, 20)]
    [InlineData(SamplerKind.DpmSolverPP2M, 1000)]
    public void Step_TrueNoiseOfKnownX0_StaysOnTrajectoryAndRecoversX0(SamplerKind kind, int steps)
    {
        const int n = 2 * 16;
        float[] x0 = Values(n, 1, 0.9);
        float[] eps = Values(n, 2, 2.0);
        Sampler sampler = Sampler.Create(kind, Ddpm1000, steps, n);
        double alphaBar = Ddpm1000.AlphaBar(sampler.Timesteps[0]);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)(Math.Sqrt(alphaBar) * x0[i] + Math.Sqrt(1 - alphaBar) * eps[i]);
        }
        var predicted = new float[n];

        for (int step = 0; step < steps; step++)
        {
            sampler.Step(step, x, eps, [], predicted);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(x0[i], predicted[i], 4e-4f);
            }
            if (step + 1 < steps)
            {
                double next = Ddpm1000.AlphaBar(sampler.Timesteps[step + 1]);
                for (int i = 0; i < n; i++)
                {
                    Assert.Equal(Math.Sqrt(next) * x0[i] + Math.Sqrt(1 - next) * eps[i], x[i], 2e-4);
                }
            }
        }
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(x0[i], x[i], 4e-4f);
        }
    }

    [Fact]
    public void Ddim_AllTimesteps_EveryStepMatchesEtaZeroFormula()
    {
        NoiseScheduleSpec spec = Small.Spec;
        const int n = 8;
        Sampler sampler = Sampler.Create(SamplerKind.Ddim, Small, 20, n);
        Assert.Equal(Enumerable.Range(0, 20).Reverse().ToArray(), sampler.Timesteps.ToArray());
        var predicted = new float[n];
        for (int step = 0; step < 20; step++)
        {
            int t = 19 - step;
            float[] x = Values(n, 10 + step, 0.5);
            float[] eps = Values(n, 50 + step, 0.3);
            float[] input = (float[])x.Clone();
            sampler.Step(step, x, eps, [], predicted);

            double a = AlphaBar(spec, t);
            double aPrev = t > 0 ? AlphaBar(spec, t - 1) : 1.0;
            for (int i = 0; i < n; i++)
            {
                double x0 = Math.Clamp((input[i] - Math.Sqrt(1 - a) * eps[i]) / Math.Sqrt(a), -1, 1);
                double epsFromX0 = (input[i] - Math.Sqrt(a) * x0) / Math.Sqrt(1 - a);
                Assert.Equal(x0, predicted[i], 1e-5);
                Assert.Equal(Math.Sqrt(aPrev) * x0 + Math.Sqrt(1 - aPrev) * epsFromX0, x[i], 1e-5);
            }
        }
    }

    [Fact]
    public void Ddpm_FullSteps_PosteriorMeanAndVarianceMatchClosedForm()
    {
        NoiseScheduleSpec spec = Small.Spec;
        const int n = 8;
        var withoutNoise = (DdpmSampler)Sampler.Create(SamplerKind.Ddpm, Small, 20, n);
        var withNoise = (DdpmSampler)Sampler.Create(SamplerKind.Ddpm, Small, 20, n);
        float[] zeros = new float[n];
        float[] ones = Enumerable.Repeat(1f, n).ToArray();
        var predicted = new float[n];
        for (int step = 0; step < 20; step++)
        {
            int t = 19 - step;
            Assert.Equal(t, withoutNoise.Timesteps[step]);
            Assert.Equal(t > 0, withoutNoise.NeedsNoise(step));
            float[] input = Values(n, 100 + step, 0.6);
            float[] eps = Values(n, 200 + step, 0.2);
            float[] mean = (float[])input.Clone();
            float[] noisy = (float[])input.Clone();
            withoutNoise.Step(step, mean, eps, zeros, predicted);
            withNoise.Step(step, noisy, eps, ones, predicted);

            double a = AlphaBar(spec, t);
            double aPrev = t > 0 ? AlphaBar(spec, t - 1) : 1.0;
            double beta = 1 - a / aPrev;
            double variance = beta * (1 - aPrev) / (1 - a);
            Assert.Equal(variance, withoutNoise.PosteriorVariance(step), 12);
            for (int i = 0; i < n; i++)
            {
                double x0 = Math.Clamp((input[i] - Math.Sqrt(1 - a) * eps[i]) / Math.Sqrt(a), -1, 1);
                double expected = Math.Sqrt(aPrev) * beta / (1 - a) * x0 + Math.Sqrt(1 - beta) * (1 - aPrev) / (1 - a) * input[i];
                Assert.Equal(expected, mean[i], 1e-5);
                double expectedNoisy = t > 0 ? expected + Math.Sqrt(variance) : expected;
                Assert.Equal(expectedNoisy, noisy[i], 1e-5);
            }
        }
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(250)]
    [InlineData(50)]
    [InlineData(7)]
    public void Ddpm_Respaced_BetasReproduceAlphaBarOfKeptTimesteps(int steps)
    {
        var sampler = (DdpmSampler)Sampler.Create(SamplerKind.Ddpm, Ddpm1000, steps, 4);
        int[] kept = Sampler.SpacedTimesteps(1000, steps);

        Assert.Equal(0, kept[0]);
        Assert.Equal(999, kept[^1]);
        Assert.Equal(steps, kept.Distinct().Count());
        double product = 1;
        for (int j = 0; j < steps; j++)
        {
            product *= 1 - sampler.RespacedBetas[j];
            Assert.Equal(Ddpm1000.AlphaBar(kept[j]), product, 12);
            Assert.Equal(kept[j], sampler.Timesteps[steps - 1 - j]);
        }
        // The posterior variance of the respaced process: β̃_j = β'_j (1 − ᾱ_{k_{j−1}})/(1 − ᾱ_{k_j}).
        double beta = sampler.RespacedBetas[steps - 1];
        double expected = beta * (1 - Ddpm1000.AlphaBar(kept[steps - 2])) / (1 - Ddpm1000.AlphaBar(999));
        Assert.Equal(expected, sampler.PosteriorVariance(0), 12);
    }

    [Fact]
    public void SpacedTimesteps_MatchesImprovedDdpmRounding()
    {
        // improved-DDPM space_timesteps(1000, [10]): round(i × 999/9).
        Assert.Equal([0, 111, 222, 333, 444, 555, 666, 777, 888, 999], Sampler.SpacedTimesteps(1000, 10));
        Assert.Equal([999], Sampler.SpacedTimesteps(1000, 1));
    }

    [Fact]
    public void DpmSolver_Timesteps_UniformDescendingAndDistinct()
    {
        Sampler twenty = Sampler.Create(SamplerKind.DpmSolverPP2M, Ddpm1000, 20, 1);
        Assert.Equal(999, twenty.Timesteps[0]);
        Assert.Equal(50, twenty.Timesteps[19]);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal((int)Math.Round(999.0 * (20 - i) / 20, MidpointRounding.ToEven), twenty.Timesteps[i]);
        }
        foreach (int steps in new[] { 999, 1000 })
        {
            int[] t = Sampler.Create(SamplerKind.DpmSolverPP2M, Ddpm1000, steps, 1).Timesteps.ToArray();
            for (int i = 1; i < t.Length; i++)
            {
                Assert.True(t[i] < t[i - 1]);
            }
        }
    }

    [Fact]
    public void DpmSolver_SecondStep_UsesMultistepCorrection()
    {
        const int n = 4;
        Sampler sampler = Sampler.Create(SamplerKind.DpmSolverPP2M, Ddpm1000, 5, n);
        int[] t = sampler.Timesteps.ToArray();
        float[] x = Values(n, 3, 1.0);
        float[] eps1 = Values(n, 4, 1.0);
        float[] eps2 = Values(n, 5, 1.0);
        var predicted = new float[n];

        static double Lambda(double a) => 0.5 * Math.Log(a / (1 - a));
        double a0 = Ddpm1000.AlphaBar(t[0]);
        double a1 = Ddpm1000.AlphaBar(t[1]);
        double a2 = Ddpm1000.AlphaBar(t[2]);
        var d0 = new double[n];
        var x1 = new double[n];
        double h1 = Lambda(a1) - Lambda(a0);
        for (int i = 0; i < n; i++)
        {
            d0[i] = Math.Clamp((x[i] - Math.Sqrt(1 - a0) * eps1[i]) / Math.Sqrt(a0), -1, 1);
            x1[i] = Math.Sqrt((1 - a1) / (1 - a0)) * x[i] - Math.Sqrt(a1) * (Math.Exp(-h1) - 1) * d0[i];
        }
        sampler.Step(0, x, eps1, [], predicted);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(x1[i], x[i], 1e-5);
        }

        sampler.Step(1, x, eps2, [], predicted);
        double h2 = Lambda(a2) - Lambda(a1);
        double r = h1 / h2;
        for (int i = 0; i < n; i++)
        {
            double d1 = Math.Clamp((x1[i] - Math.Sqrt(1 - a1) * eps2[i]) / Math.Sqrt(a1), -1, 1);
            double d = (1 + 1 / (2 * r)) * d1 - 1 / (2 * r) * d0[i];
            double expected = Math.Sqrt((1 - a2) / (1 - a1)) * x1[i] - Math.Sqrt(a2) * (Math.Exp(-h2) - 1) * d;
            Assert.Equal(expected, x[i], 1e-5);
        }
    }

    [Fact]
    public void Step_OutOfOrder_Throws()
    {
        Sampler sampler = Sampler.Create(SamplerKind.Ddim, Ddpm1000, 10, 4);
        var buffer = new float[4];
        Assert.Throws<InvalidOperationException>(() => sampler.Step(1, buffer, buffer, [], new float[4]));
    }

    [Fact]
    public void Step_ClipsPredictedX0()
    {
        Sampler sampler = Sampler.Create(SamplerKind.Ddim, Ddpm1000, 1, 2);
        float[] x = [50f, -50f];
        var predicted = new float[2];
        sampler.Step(0, x, new float[2], [], predicted);
        Assert.Equal([1f, -1f], predicted);
        Assert.Equal([1f, -1f], x);
    }

    [Theory]
    [InlineData(SamplerKind.Ddpm, 1000)]
    [InlineData(SamplerKind.Ddim, 50)]
    [InlineData(SamplerKind.DpmSolverPP2M, 20)]
    public void DefaultSteps_PerSampler(SamplerKind kind, int expected)
    {
        Assert.Equal(expected, Sampler.DefaultSteps(kind));
        Assert.Equal(Math.Min(expected, 20), Sampler.DefaultSteps(kind, 20));
    }
}
