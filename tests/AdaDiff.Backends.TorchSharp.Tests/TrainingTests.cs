using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Packaging.Safetensors;
using TorchSharp;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Tests;

public sealed class TrainingTests
{
    [Fact]
    public void Compute_PerfectPredictionAndCertainty_IsZero()
    {
        using var scope = NewDisposeScope();
        Tensor noise = randn(2, 1, 4, 4);
        Tensor[] predictions = [noise.clone(), noise.clone()];
        Tensor[] certainties = [ones(2, 1, 4, 4), ones(2, 1, 4, 4)];
        (Tensor total, _, _, _) = AdaDiffLoss.Compute(predictions, certainties, noise);
        Assert.Equal(0f, total.item<float>(), 6);
    }

    [Fact]
    public void UemTarget_IsOneMinusTanhOfTheDistanceAndCarriesNoGradient()
    {
        using var scope = NewDisposeScope();
        Tensor prediction = tensor(new[] { 0.5f, -1f, 2f }).requires_grad_(true);
        Tensor reference = tensor(new[] { 0.5f, 0f, 0f });
        Tensor target = AdaDiffLoss.UemTarget(prediction, reference);
        float[] values = target.data<float>().ToArray();
        Assert.Equal(1f, values[0], 6);                          // agrees: fully certain
        Assert.Equal(1 - Math.Tanh(1.0), values[1], 5);
        Assert.Equal(1 - Math.Tanh(2.0), values[2], 5);
        Assert.False(target.requires_grad);                      // a target, never a path into the backbone
    }

    [Fact]
    public void Compute_KnownValues_MatchesFormula()
    {
        using var scope = NewDisposeScope();
        Tensor noise = zeros(1, 1, 1, 2);
        Tensor[] predictions = [full(1, 1, 1, 2, 1.0f), full(1, 1, 1, 2, 0.5f)];
        Tensor[] certainties = [full(1, 1, 1, 2, 0.25f), full(1, 1, 1, 2, 0.75f)];
        (Tensor total, Tensor final, Tensor uem, Tensor layerwise) = AdaDiffLoss.Compute(predictions, certainties, noise);
        double uemExpected = Math.Pow(0.25 - (1 - Math.Tanh(1.0)), 2) + Math.Pow(0.75 - (1 - Math.Tanh(0.5)), 2);
        double layerExpected = 0.25 * 1.0 + 0.75 * 0.25;
        Assert.Equal(0.25, final.item<float>(), 5);
        Assert.Equal(uemExpected, uem.item<float>(), 5);
        Assert.Equal(layerExpected, layerwise.item<float>(), 5);
        Assert.Equal(0.25 + uemExpected + layerExpected, total.item<float>(), 5);

        // The ablation baseline drops the layer-wise term from the total and still reports it.
        (Tensor baseline, _, _, Tensor reported) = AdaDiffLoss.Compute(predictions, certainties, noise, layerwise: false);
        Assert.Equal(0.25 + uemExpected, baseline.item<float>(), 5);
        Assert.Equal(layerExpected, reported.item<float>(), 5);
    }

    [Fact]
    public void Backward_UemLoss_DoesNotReachBackbone()
    {
        manual_seed(11);
        using var model = new UViT(UViTConfig.Tiny());
        using var scope = NewDisposeScope();
        Tensor x = randn(2, 1, 8, 8);
        Tensor t = tensor(new float[] { 10, 500 });
        Tensor y = tensor(new long[] { 0, 3 });
        (Tensor[] predictions, Tensor[] certainties) = model.ForwardExits(x, t, y);
        Tensor uemOnly = stack(certainties.Select(u => u.mean()).ToArray()).sum();
        uemOnly.backward();
        foreach ((string name, Tensor p) in model.named_parameters())
        {
            bool hasGrad = p.grad is not null && p.grad.abs().sum().item<float>() > 0;
            Assert.Equal(name.StartsWith("uem.", StringComparison.Ordinal), hasGrad);
        }
        Assert.Equal(model.Depth, predictions.Length);
    }

    [Fact]
    public void AdamWStep_First_IsDecayThenMinusLrTimesGradOverItsMagnitude()
    {
        const double lr = 1e-2, wd = 0.1, eps = 1e-8;
        float[] p0 = [0.5f, -1.5f, 2f, 0f, -0.25f];
        float[] g = [3f, -0.5f, 1e-3f, -2f, 0f];
        using var scope = NewDisposeScope();
        Tensor p = tensor(p0).requires_grad_(true);
        using var optimizer = new AdamW([("p", p)], eps: eps, weightDecay: wd);

        SetGradient(p, g);
        optimizer.Step(lr);

        // Bias correction makes the first moments g and g²: the step is lr·g/(|g|+eps), i.e. lr·sign(g) where g ≠ 0.
        float[] actual = p.data<float>().ToArray();
        for (int i = 0; i < p0.Length; i++)
        {
            double expected = (p0[i] * (1 - (lr * wd))) - (lr * g[i] / (Math.Abs(g[i]) + eps));
            Assert.Equal(expected, actual[i], 6);
        }
        Assert.Equal(0.5 * (1 - (lr * wd)) - lr, actual[0], 6);          // −lr·sign(+3)
        Assert.Equal(-1.5 * (1 - (lr * wd)) + lr, actual[1], 6);         // −lr·sign(−0.5)
        Assert.Equal(-0.25 * (1 - (lr * wd)), actual[4], 6);             // no gradient, decay only
        Assert.Equal(1, optimizer.StepCount);
    }

    [Fact]
    public void AdamWStep_ThreeSteps_MatchClosedFormInDouble()
    {
        const double lr = 3e-3, wd = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
        float[] p0 = [0.1f, -0.2f, 0.3f, 0.7f];
        float[][] grads = [[1f, -2f, 0.5f, 0f], [-1f, -1f, 0.25f, 3f], [0.5f, 4f, -0.75f, -3f]];
        using var scope = NewDisposeScope();
        Tensor p = tensor(p0).requires_grad_(true);
        using var optimizer = new AdamW([("p", p)], beta1, beta2, eps, wd);

        double[] expected = [.. p0.Select(v => (double)v)];
        var m = new double[p0.Length];
        var v = new double[p0.Length];
        for (int step = 1; step <= grads.Length; step++)
        {
            SetGradient(p, grads[step - 1]);
            optimizer.Step(lr);
            for (int i = 0; i < p0.Length; i++)
            {
                double gi = grads[step - 1][i];
                expected[i] *= 1 - (lr * wd);
                m[i] = (beta1 * m[i]) + ((1 - beta1) * gi);
                v[i] = (beta2 * v[i]) + ((1 - beta2) * gi * gi);
                double mHat = m[i] / (1 - Math.Pow(beta1, step));
                double vHat = v[i] / (1 - Math.Pow(beta2, step));
                expected[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
            float[] actual = p.data<float>().ToArray();
            for (int i = 0; i < p0.Length; i++)
            {
                Assert.Equal(expected[i], actual[i], 5);
            }
        }
    }

    [Fact]
    public void AdamWState_WrittenAndLoaded_IsBitwiseIdenticalAndStepsTheSame()
    {
        using var scope = NewDisposeScope();
        Tensor a = tensor(new float[] { 0.3f, -0.1f, 2f }).requires_grad_(true);
        Tensor b = tensor(new float[] { -1f, 0.5f }).requires_grad_(true);
        using var optimizer = new AdamW([("a", a), ("b", b)], weightDecay: 0.01);
        for (int step = 0; step < 3; step++)
        {
            SetGradient(a, [step + 1f, -0.5f, 0.25f * step]);
            SetGradient(b, [-2f, step - 1f]);
            optimizer.Step(1e-3);
        }

        // Through the bytes a checkpoint holds: write the state, parse it back, load it into a fresh optimizer.
        using var stream = new MemoryStream();
        new SafetensorsFile(optimizer.StateEntries()).WriteTo(stream);
        SafetensorsFile file = SafetensorsFile.Parse(stream.ToArray(), "state");
        Tensor a2 = a.detach().clone().requires_grad_(true);
        Tensor b2 = b.detach().clone().requires_grad_(true);
        using var restored = new AdamW([("a", a2), ("b", b2)], weightDecay: 0.01);
        restored.LoadState(file, optimizer.StepCount, "state");

        Assert.Equal(3, restored.StepCount);
        Assert.Equal(["exp_avg.a", "exp_avg_sq.a", "exp_avg.b", "exp_avg_sq.b"], restored.StateEntries().Select(e => e.Name));
        foreach ((SafetensorsTensor written, SafetensorsTensor loaded) in optimizer.StateEntries().Zip(restored.StateEntries()))
        {
            Assert.Equal(written.Shape, loaded.Shape);
            Assert.True(written.Data.Span.SequenceEqual(loaded.Data.Span), $"{written.Name} differs after the round trip");
        }
        // The same next step from both: the same parameters, bit for bit.
        foreach (AdamW o in new[] { optimizer, restored })
        {
            bool first = ReferenceEquals(o, optimizer);
            SetGradient(first ? a : a2, [0.5f, 0.5f, -1f]);
            SetGradient(first ? b : b2, [1f, -3f]);
            o.Step(1e-3);
        }
        Assert.Equal(a.data<float>().ToArray(), a2.data<float>().ToArray());
        Assert.Equal(b.data<float>().ToArray(), b2.data<float>().ToArray());
    }

    [Fact]
    public void AdamWLoadState_MissingOrMisshapedEntry_ThrowsNamingIt()
    {
        using var scope = NewDisposeScope();
        Tensor a = zeros(3).requires_grad_(true);
        using var optimizer = new AdamW([("a", a)]);

        var missing = new SafetensorsFile([SafetensorsTensor.FromSingles("exp_avg.a", [3], new float[3])]);
        Assert.Contains("missing optimizer tensor 'exp_avg_sq.a'", Assert.Throws<InvalidDataException>(() => optimizer.LoadState(missing, 1, "ckpt")).Message, StringComparison.Ordinal);
        var misshaped = new SafetensorsFile([SafetensorsTensor.FromSingles("exp_avg.a", [2], new float[2]), SafetensorsTensor.FromSingles("exp_avg_sq.a", [3], new float[3])]);
        Assert.Contains("'exp_avg.a' has shape [2], expected [3]", Assert.Throws<InvalidDataException>(() => optimizer.LoadState(misshaped, 1, "ckpt")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TorchThreads_AfterABackendIsCreated_StayPinnedForTheAssembly()
    {
        Assert.Equal(TorchThreads.Pinned, get_num_threads());
        using TorchSharpBackend backend = TestModels.Backend(UViTConfig.Tiny());
        Assert.Equal(TorchThreads.Pinned, get_num_threads());
    }

    /// <summary>Gives <paramref name="parameter"/> the gradient <paramref name="gradient"/>: backward of Σ p·g.</summary>
    private static void SetGradient(Tensor parameter, float[] gradient)
    {
        using var scope = NewDisposeScope();
        parameter.grad?.zero_();
        (parameter * tensor(gradient)).sum().backward();
    }

    [Fact]
    public void TrainStep_InDisposeScope_LeavesNoLiveTensors()
    {
        manual_seed(13);
        using var model = new UViT(UViTConfig.Tiny());
        using var optimizer = new AdamW(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), weightDecay: 0.01);
        using var generator = new Generator(1);
        var counts = new List<long>();
        for (int step = 0; step < 4; step++)
        {
            DisposeScopeManager.Statistics.Reset();
            using (var scope = NewDisposeScope())
            {
                generator.manual_seed(step);
                Tensor x = randn([3, 1, 8, 8], generator: generator);
                Tensor y = where(rand([3], generator: generator).lt(0.5), full_like(tensor(new long[] { 0, 1, 2 }), 3), tensor(new long[] { 0, 1, 2 }));
                Tensor t = randint(0, 1000, [3], generator: generator);
                Tensor noise = randn([3, 1, 8, 8], generator: generator);
                (Tensor[] p, Tensor[] u) = model.ForwardExits(x, t.to_type(ScalarType.Float32), y);
                (Tensor loss, _, _, _) = AdaDiffLoss.Compute(p, u, noise);
                model.zero_grad();
                loss.backward();
                nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                optimizer.Step(1e-3);
                _ = loss.item<float>();
            }
            counts.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
        Assert.All(counts, c => Assert.Equal(0, c));
    }
}
