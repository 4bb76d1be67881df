using AdaDiff.Evaluation.Metrics;

namespace AdaDiff.Evaluation.Tests;

public class FrechetDistanceTests
{
    [Fact]
    public void Compute_IdenticalSets_IsZero()
    {
        var random = new Random(3);
        const int n = 400, d = 16;
        double[] rows = new double[n * d];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = (random.NextDouble() * 4) - 1 + ((i % d) * 0.3);
        }
        FeatureStatistics stats = FeatureStatistics.FromRows(rows, n, d);
        FeatureStatistics again = FeatureStatistics.FromRows(rows.ToArray(), n, d);

        Assert.Equal(0, FrechetDistance.Compute(stats, again), 9);
    }

    [Fact]
    public void Compute_NonCommuting2x2Gaussians_MatchesClosedForm()
    {
        // For 2×2 matrices tr √M = √(tr M + 2√det M), and M = Σ₁^½ Σ₂ Σ₁^½ has tr Σ₁Σ₂ and det Σ₁·det Σ₂.
        double[] mu1 = [1.0, -2.0], mu2 = [0.5, 0.25];
        double[] s1 = [2.0, 0.6, 0.6, 1.0], s2 = [0.5, -0.3, -0.3, 3.0];
        double trProduct = (s1[0] * s2[0]) + (s1[1] * s2[2]) + (s1[2] * s2[1]) + (s1[3] * s2[3]);
        double det1 = (s1[0] * s1[3]) - (s1[1] * s1[2]), det2 = (s2[0] * s2[3]) - (s2[1] * s2[2]);
        double expected = (0.5 * 0.5) + (2.25 * 2.25) + s1[0] + s1[3] + s2[0] + s2[3] - (2 * Math.Sqrt(trProduct + (2 * Math.Sqrt(det1 * det2))));

        double actual = FrechetDistance.Compute(mu1, s1, mu2, s2, 2);

        Assert.Equal(expected, actual, 10);
    }

    [Fact]
    public void Compute_ScaledIdentityAgainstRotatedCovariance_MatchesClosedForm()
    {
        // Σ₁ = a·I, Σ₂ = R diag(λ) Rᵀ: distance = ‖Δμ‖² + n·a + Σλ − 2√a Σ√λ.
        const int n = 6;
        const double a = 1.7;
        double[] lambda = [0.1, 0.5, 1, 2, 4, 9];
        double[] r = RandomRotation(n, seed: 11);
        double[] s2 = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                for (int k = 0; k < n; k++)
                {
                    s2[(i * n) + j] += r[(i * n) + k] * lambda[k] * r[(j * n) + k];
                }
            }
        }
        double[] s1 = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            s1[(i * n) + i] = a;
        }
        double[] mu1 = [0, 1, 2, 3, 4, 5], mu2 = [1, 1, 1, 1, 1, 1];
        double meanTerm = mu1.Zip(mu2, (x, y) => (x - y) * (x - y)).Sum();
        double expected = meanTerm + (n * a) + lambda.Sum() - (2 * Math.Sqrt(a) * lambda.Sum(Math.Sqrt));

        Assert.Equal(expected, FrechetDistance.Compute(mu1, s1, mu2, s2, n), 9);
        Assert.Equal(expected, FrechetDistance.Compute(mu2, s2, mu1, s1, n), 9); // symmetric
    }

    [Fact]
    public void FromRows_SmallExample_GivesUnbiasedCovariance()
    {
        FeatureStatistics stats = FeatureStatistics.FromRows([1, 2, 3, 4, 5, 0], count: 3, dim: 2);

        Assert.Equal([3.0, 2.0], stats.Mean);
        Assert.Equal([4.0, -2.0, -2.0, 4.0], stats.Covariance);
    }

    [Fact]
    public void Sqrt_RandomSymmetricPsd_SquaresBack()
    {
        const int n = 24;
        var random = new Random(5);
        double[] b = new double[n * n];
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = random.NextDouble() - 0.5;
        }
        double[] a = new double[n * n]; // a = b bᵀ, PSD
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                for (int k = 0; k < n; k++)
                {
                    a[(i * n) + j] += b[(i * n) + k] * b[(j * n) + k];
                }
            }
        }

        double[] root = SymmetricEigen.Sqrt(a, n);

        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int k = 0; k < n; k++)
                {
                    sum += root[(i * n) + k] * root[(k * n) + j];
                }
                Assert.Equal(a[(i * n) + j], sum, 10);
            }
        }
    }

    private static double[] RandomRotation(int n, int seed)
    {
        // Gram–Schmidt on random columns: an orthogonal matrix, columns are the eigenvectors.
        var random = new Random(seed);
        double[] q = new double[n * n];
        for (int c = 0; c < n; c++)
        {
            double[] v = new double[n];
            for (int i = 0; i < n; i++)
            {
                v[i] = random.NextDouble() - 0.5;
            }
            for (int p = 0; p < c; p++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++)
                {
                    dot += v[i] * q[(i * n) + p];
                }
                for (int i = 0; i < n; i++)
                {
                    v[i] -= dot * q[(i * n) + p];
                }
            }
            double norm = Math.Sqrt(v.Sum(x => x * x));
            for (int i = 0; i < n; i++)
            {
                q[(i * n) + c] = v[i] / norm;
            }
        }
        return q;
    }
}
