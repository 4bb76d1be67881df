using System.Text.Json;
using AdaDiff.Engine;
using AdaDiff.Evaluation.Internal;

namespace AdaDiff.Evaluation.Tests;

public class WeightsNoteTests
{
    private static ModelManifest Manifest(string trainingJson) => new()
    {
        Name = "m",
        Architecture = "uvit-adadiff",
        Channels = 1, Height = 28, Width = 28, PatchSize = 4, EmbedDim = 32, Depth = 3, NumHeads = 2, NumClasses = 10,
        NoiseSchedule = new NoiseScheduleSpec(),
        Flops = new FlopCounts { Embed = 1, PerLayer = [1, 1, 1], Uem = 1, Head = 1 },
        Weights = new WeightsFile { File = "weights.safetensors", Sha256 = "0123456789abcdef" },
        Training = JsonDocument.Parse(trainingJson).RootElement.Clone(),
    };

    [Fact]
    public void TrainedPackage_SaysStepsAndEpochs()
    {
        string note = ModelDescription.WeightsNote(Manifest("""{"steps": 9360, "epochs": 20, "plannedEpochs": 20, "finished": true}"""));

        Assert.Equal("trained 9360 steps (20 epochs of 20 planned); weights sha256 0123456789ab", note);
    }

    [Fact]
    public void UemRetrainedPackage_SaysWhatWasRetrainedOnWhichBackbone()
    {
        string note = ModelDescription.WeightsNote(Manifest("""
            {"uemRetrained": {"target": "final", "steps": 1000, "fromSha256": "fedcba9876543210"},
             "backbone": {"steps": 4680, "epochs": 10, "plannedEpochs": 20, "finished": false}}
            """));

        Assert.Equal("UEMs retrained 1000 steps against the final reference on the frozen backbone of weights fedcba987654 (trained 4680 steps (10 epochs of 20 planned), training unfinished); weights sha256 0123456789ab", note);
    }
}
