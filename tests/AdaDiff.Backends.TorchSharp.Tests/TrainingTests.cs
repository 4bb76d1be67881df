using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;
using AdaDiff.Packaging.Safetensors;

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
    public void Step_AfterBackward_ReducesLossAndStateRoundTrips()
    {
        manual_seed(12);
        using var model = new UViT(UViTConfig.Tiny());
        using var optimizer = new AdamW(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), weightDecay: 0.01);
        using var scope = NewDisposeScope();
        Tensor x = randn(4, 1, 8, 8);
        Tensor t = tensor(new float[] { 1, 100, 400, 900 });
        Tensor y = tensor(new long[] { 0, 1, 2, 3 });
        Tensor noise = randn(4, 1, 8, 8);
        float first = 0, last = 0;
        for (int i = 0; i < 30; i++)
        {
            (Tensor[] p, Tensor[] u) = model.ForwardExits(x, t, y);
            (Tensor loss, _, _, _) = AdaDiffLoss.Compute(p, u, noise);
            model.zero_grad();
            loss.backward();
            optimizer.Step(2e-3);
            last = loss.item<float>();
            if (i == 0)
            {
                first = last;
            }
        }
        Assert.True(last < first * 0.9, $"loss should fall: {first} → {last}");

        var file = new SafetensorsFile(optimizer.StateEntries());
        using var restored = new AdamW(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
        restored.LoadState(file, optimizer.StepCount, "mem");
        Assert.Equal(30, restored.StepCount);
        Assert.Equal(file.Tensors.Select(e => e.ToSingles()).SelectMany(v => v), new SafetensorsFile(restored.StateEntries()).Tensors.Select(e => e.ToSingles()).SelectMany(v => v));
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
