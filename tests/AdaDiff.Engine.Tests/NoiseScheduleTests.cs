using AdaDiff.Engine.Sampling;

namespace AdaDiff.Engine.Tests;

public class NoiseScheduleTests
{
    [Fact]
    public void Linear_EndsAndCumprod_MatchDefinition()
    {
        var schedule = new NoiseSchedule(new NoiseScheduleSpec { Timesteps = 1000, BetaStart = 1e-4, BetaEnd = 0.02 });

        Assert.Equal(1000, schedule.Timesteps);
        Assert.Equal(1e-4, schedule.Betas[0], 15);
        Assert.Equal(0.02, schedule.Betas[999], 15);
        Assert.Equal(1e-4 + (0.02 - 1e-4) * 500 / 999, schedule.Betas[500], 15);
        double product = 1;
        for (int t = 0; t < 1000; t++)
        {
            product *= 1 - (1e-4 + (0.02 - 1e-4) * t / 999);
            Assert.Equal(product, schedule.AlphasCumprod[t], 12);
        }
        // The well-known value of the DDPM schedule: ᾱ_999 ≈ 4.04e-5.
        Assert.InRange(schedule.AlphaBar(999), 4.0e-5, 4.1e-5);
    }

    [Fact]
    public void Cosine_AlphaBar_FollowsCosineSquared()
    {
        var schedule = new NoiseSchedule(new NoiseScheduleSpec { Kind = BetaScheduleKind.Cosine, Timesteps = 1000 });

        static double F(double u) => Math.Pow(Math.Cos((u + 0.008) / 1.008 * Math.PI / 2), 2);
        for (int t = 0; t < 990; t += 37)
        {
            // Unclipped region: ᾱ_t = f((t+1)/T)/f(0).
            Assert.Equal(F((t + 1) / 1000.0) / F(0), schedule.AlphaBar(t), 9);
        }
        Assert.Equal(0.999, schedule.Betas[999], 12);
        foreach (double beta in schedule.Betas)
        {
            Assert.InRange(beta, 0, 0.999);
        }
    }
}
