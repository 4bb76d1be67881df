using AdaDiff.Engine.Exits;

namespace AdaDiff.Engine.Tests;

public class ComputeLedgerTests
{
    internal static ModelManifest Manifest(int depth = 5) => new()
    {
        Name = "ledger",
        Architecture = "uvit-adadiff",
        Channels = 1,
        Height = 8,
        Width = 8,
        PatchSize = 2,
        EmbedDim = 32,
        Depth = depth,
        NumHeads = 2,
        NumClasses = 3,
        NoiseSchedule = new NoiseScheduleSpec(),
        Flops = new FlopCounts { Embed = 10, PerLayer = [1, 2, 3, 4, 5], Uem = 0.5, Head = 20 },
        Weights = new WeightsFile { File = "weights.safetensors" },
    };

    [Fact]
    public void RowFlops_EmbedLayersRunUemsAndHead()
    {
        var ledger = new ComputeLedger(Manifest());
        Assert.Equal(45, ledger.FullRowFlops);
        Assert.Equal(10 + 1 + 2 + 3 + 2 * 0.5 + 20, ledger.RowFlops(3, 2));
        Assert.Equal(45 + 0.5, ledger.RowFlops(5, 1));
    }

    [Fact]
    public void ImageStep_SingleRow_LayersAndFlops()
    {
        var ledger = new ComputeLedger(Manifest());
        ComputeTotals totals = ledger.ImageStep(exitLayer: 2, rows: 1, uemEvaluations: 1);
        Assert.Equal(new ComputeTotals(2, 5, 10 + 1 + 2 + 0.5 + 20, 45), totals);
        Assert.Equal(1 - 2 / 5.0, totals.AccelerationRatio, 12);
    }

    [Fact]
    public void ImageStep_GuidancePair_DoublesFlopsNotLayers()
    {
        var ledger = new ComputeLedger(Manifest());
        // Two rows exiting at layer 4, each evaluated its UEM at layers 3 and 4.
        ComputeTotals totals = ledger.ImageStep(exitLayer: 4, rows: 2, uemEvaluations: 4);
        Assert.Equal(4, totals.LayersExecuted);
        Assert.Equal(5, totals.LayersFull);
        Assert.Equal(2 * (10 + 10 + 20) + 4 * 0.5, totals.FlopsExecuted);
        Assert.Equal(90, totals.FlopsFull);
    }

    [Fact]
    public void Totals_Add()
    {
        var a = new ComputeTotals(3, 5, 1.5, 2);
        var b = new ComputeTotals(5, 5, 4, 2);
        Assert.Equal(new ComputeTotals(8, 10, 5.5, 4), a + b);
        Assert.Equal(0.2, (a + b).AccelerationRatio, 12);
    }

    [Fact]
    public void ImageStep_ExitLayerOutOfRange_Throws()
    {
        var ledger = new ComputeLedger(Manifest());
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.ImageStep(0, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.ImageStep(6, 1, 0));
    }
}
