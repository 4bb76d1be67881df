using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Backends.TorchSharp.Training;
using AdaDiff.Captions;
using AdaDiff.Engine;
using AdaDiff.Engine.Text;
using static TorchSharp.torch;

namespace AdaDiff.Tools.Tests;

/// <summary>
/// The text model's training step on the real Fashion-MNIST training split: each row's tokens are a caption that says
/// the image's class and measured attributes; the captions change by epoch and not by resuming; dropped rows are all
/// padding at the dropout's rate; and the tokens reach the model (a row's prediction and the gradient follow its prompt).
/// </summary>
public sealed class TextTrainingStepTests
{
    private const int Seed = 5;

    private static readonly Lazy<FashionMnist> Data = new(() => FashionMnist.Load(FashionMnist.DefaultDirectory, train: true));
    private static readonly Lazy<FashionMnistImages> Bytes = new(() => FashionMnistImages.Load(FashionMnistImages.DefaultDirectory, train: true));
    private static readonly PromptVocabulary Vocabulary = CaptionVocabulary.Build(new CaptionGenerator(FashionMnistModel.ClassNames));

    private static CaptionConditions Captions(int seed = Seed) =>
        new(new CaptionGenerator(FashionMnistModel.ClassNames), Vocabulary, Bytes.Value, seed);

    private static TrainingStep Step(int batch, double dropout, ITrainingConditions? conditions = null) =>
        new(Data.Value, batch, Seed, FashionMnistModel.NoiseSchedule, conditions ?? Captions(), dropout, horizontalFlip: false, learningRate: 1e-3, warmupSteps: 1);

    [Fact]
    public void CaptionRows_SayEachImagesClassAndMeasuredAttributes_AndChangeByEpochOnly()
    {
        CaptionConditions captions = Captions();
        var parser = new PromptParser(FashionMnistModel.ClassNames);
        const int Rows = 300;
        int[] indices = Enumerable.Range(0, Rows).Select(i => i * 199).ToArray();
        long[] labels = indices.Select(i => (long)Bytes.Value.Labels[i]).ToArray();
        var epoch0 = new long[Rows * captions.Width];
        var epoch1 = new long[Rows * captions.Width];
        var again = new long[Rows * captions.Width];
        captions.Fill(0, indices, labels, epoch0);
        captions.Fill(1, indices, labels, epoch1);
        Captions().Fill(0, indices, labels, again); // a new instance, as a resumed run builds it

        Assert.Equal(epoch0, again);
        int changed = 0;
        for (int r = 0; r < Rows; r++)
        {
            AttributeBuckets measured = AttributeThresholds.FashionMnist.Classify(ImageAttributes.Measure(Bytes.Value.Image(indices[r]), 28, 28));
            foreach (long[] rows in new[] { epoch0, epoch1 })
            {
                string text = Text(rows.AsSpan(r * captions.Width, captions.Width));
                ParsedPrompt parsed = parser.Parse(text);
                Assert.True(parsed.IsClean, $"'{text}' does not parse cleanly");
                Assert.False(parsed.Content.IsEmpty, $"'{text}' names nothing");
                Assert.True(parsed.Content.IsMetBy((int)labels[r], measured), $"'{text}' is not true of image {indices[r]} (class {labels[r]}, {measured})");
            }
            changed += epoch0.AsSpan(r * captions.Width, captions.Width).SequenceEqual(epoch1.AsSpan(r * captions.Width, captions.Width)) ? 0 : 1;
        }
        Assert.True(changed > Rows / 2, $"only {changed} of {Rows} captions changed between epochs 0 and 1");
        var otherSeed = new long[Rows * captions.Width];
        Captions(Seed + 1).Fill(0, indices, labels, otherSeed);
        Assert.NotEqual(epoch0, otherSeed);
    }

    [Fact]
    public void Dropout_GivesAllPaddingRowsAtItsRate_AndLeavesTheOthersTheirCaptions()
    {
        const int Batch = 200, Steps = 20;
        CaptionConditions captions = Captions();
        using TrainingStep step = Step(Batch, dropout: 0.1, captions);
        using TrainingStep none = Step(Batch, dropout: 0);
        int width = captions.Width, dropped = 0;
        var expected = new long[Batch * width];
        for (int s = 0; s < Steps; s++)
        {
            using var scope = NewDisposeScope();
            NoisedBatch batch = step.Draw(s);
            Assert.Equal([Batch, width], batch.Conditions.shape);
            long[] rows = batch.Conditions.data<long>().ToArray();
            long[] labels = step.LastIndices.ToArray().Select(i => (long)Data.Value.Labels[i]).ToArray();
            captions.Fill(s / step.StepsPerEpoch, step.LastIndices, labels, expected);
            for (int r = 0; r < Batch; r++)
            {
                ReadOnlySpan<long> row = rows.AsSpan(r * width, width);
                if (row.IndexOfAnyExcept(PromptVocabulary.PadId) < 0)
                {
                    dropped++;
                }
                else
                {
                    Assert.True(row.SequenceEqual(expected.AsSpan(r * width, width)), $"step {s} row {r} is neither its caption nor all padding");
                }
            }
            Assert.Equal(0, none.Draw(s).Conditions.eq(PromptVocabulary.PadId).all(1).sum().item<long>());
        }
        // 4,000 rows at 10%: 400 expected, σ = 19; the count is fixed by the seed, the bound by the rate.
        Assert.InRange(dropped, 400 - (4 * 19), 400 + (4 * 19));
    }

    [Fact]
    public void AFreshStep_DrawsTheSameBatchAndCaptionsAsOneThatRanBefore_AcrossAnEpoch()
    {
        const int Batch = 12_000; // 5 steps an epoch: step 5 begins epoch 1 with a new shuffle and new captions
        using TrainingStep straight = Step(Batch, dropout: 0.1);
        Assert.Equal(5, straight.StepsPerEpoch);
        for (int s = 0; s < 5; s++)
        {
            using var scope = NewDisposeScope();
            straight.Draw(s);
        }
        using TrainingStep resumed = Step(Batch, dropout: 0.1);
        using var outer = NewDisposeScope();
        NoisedBatch a = straight.Draw(5), b = resumed.Draw(5);
        Assert.True(a.Conditions.eq(b.Conditions).all().item<bool>(), "captions differ after resuming");
        Assert.True(a.Xt.eq(b.Xt).all().item<bool>(), "images or noise differ after resuming");
        Assert.True(a.Timesteps.eq(b.Timesteps).all().item<bool>());
        Assert.True(a.Noise.eq(b.Noise).all().item<bool>());
        Assert.False(a.Conditions.eq(resumed.Draw(0).Conditions).all().item<bool>(), "epoch 1's batch is epoch 0's");
    }

    [Fact]
    public void CaptionTokens_ReachTheModel_ARowsPredictionAndTheGradientFollowItsPrompt()
    {
        manual_seed(11);
        ModelManifest config = UViTConfig.FashionMnistText(TextConditioning.For(Vocabulary, encoderDim: 16, encoderDepth: 1, encoderHeads: 2), embedDim: 32, depth: 3, numHeads: 2);
        using var model = new UViT(config);
        using var optimizer = new AdamW(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), 0.9, 0.999, 1e-8, 0);
        using TrainingStep step = Step(16, dropout: 0);
        using var scope = NewDisposeScope();
        step.Run(0, model, optimizer, batch =>
        {
            (Tensor[] predictions, Tensor[] certainties) = model.ForwardExits(batch.Xt, batch.Timesteps.to_type(ScalarType.Float32), batch.Conditions);
            return AdaDiffLoss.Compute(predictions, certainties, batch.Noise).Total;
        });
        // The gradient of the token embedding: non-zero exactly on the rows of the tokens the batch's captions hold.
        NoisedBatch drawn = step.Draw(0);
        var present = new HashSet<long>(drawn.Conditions.data<long>().ToArray());
        Tensor grad = model.named_parameters().Single(p => p.name == "text_encoder.token_emb.weight").parameter.grad!; // [V, E]
        for (int id = 0; id < Vocabulary.Count; id++)
        {
            bool moved = grad[id].abs().sum().item<float>() > 0;
            Assert.True(moved == present.Contains(id), $"token {Vocabulary.Tokens[id]}: gradient {(moved ? "without" : "missing though")} the token in the batch");
        }

        // The same image and timestep under two prompts: the prediction differs; under the same prompt it does not.
        model.eval();
        using var noGrad = no_grad();
        Tensor x = drawn.Xt[..1].repeat(3, 1, 1, 1);                          // [3, 1, 28, 28]
        Tensor t = drawn.Timesteps[..1].repeat(3).to_type(ScalarType.Float32); // [3]
        Tensor y = stack([drawn.Conditions[0], drawn.Conditions[1], drawn.Conditions[0]]); // [3, M]
        Assert.False(drawn.Conditions[0].eq(drawn.Conditions[1]).all().item<bool>());
        Tensor eps = model.forward(x, t, y);                                    // [3, 1, 28, 28]
        Assert.True(eps[0].sub(eps[1]).abs().max().item<float>() > 1e-6f, "the prediction ignores the prompt");
        Assert.True(eps[0].eq(eps[2]).all().item<bool>(), "the same prompt gave two predictions");
    }

    private static string Text(ReadOnlySpan<long> ids)
    {
        Assert.Equal(PromptVocabulary.BeginId, ids[0]);
        var words = new List<string>();
        for (int k = 1; ids[k] != PromptVocabulary.EndId; k++)
        {
            words.Add(Vocabulary.Tokens[(int)ids[k]]);
        }
        return string.Join(' ', words);
    }
}
