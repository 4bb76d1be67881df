using AdaDiff.Engine;

namespace AdaDiff.Evaluation.Tests;

public class EvalOptionsTests
{
    [Fact]
    public void Parse_NoArguments_GivesDocumentedDefaults()
    {
        EvalOptions options = EvalOptions.Parse([]);

        Assert.Equal(500, options.Samples);
        Assert.Equal(2000, options.TargetSamples);
        Assert.False(options.WriteDefault);
        Assert.Equal(SamplerKind.Ddim, options.Sampler);
        Assert.Equal(50, options.Steps);
        Assert.Null(options.Guidance); // the model's default scale
        Assert.Equal("docs/results", options.Out);
        Assert.Equal(Path.GetFullPath("docs/results.md"), options.ResolvedMarkdown);
        Assert.Equal(50, options.ResolvedDdpmSamples);
        Assert.True(options.StaticTruncation && options.PerBatch && options.StepComparison && options.TimestepSchedule);
        Assert.Null(options.Thresholds); // automatic
        Assert.Equal([0.1f, 0.25f, 0.4f, 0.45f, 0.5f, 0.6f], options.AutoTargets);
        Assert.Equal("onnxruntime", options.Backend);
    }

    [Theory]
    [InlineData("onnx", "onnxruntime")]
    [InlineData("ONNXRUNTIME", "onnxruntime")]
    [InlineData("torchsharp", "torchsharp")]
    [InlineData("torch", "torchsharp")]
    public void Parse_Backend_IsNormalised(string given, string expected)
    {
        Assert.Equal(expected, EvalOptions.Parse(["--backend", given]).Backend);
    }

    [Fact]
    public void Parse_Options_AreRead()
    {
        EvalOptions options = EvalOptions.Parse(["--samples", "64", "--sampler", "dpm-solver++", "--steps", "20", "--thresholds", "0.6,0.9", "--guidance", "2", "--seed", "7", "--no-static", "--no-schedule", "--target-samples", "0", "--write-default"]);

        Assert.Equal(64, options.Samples);
        Assert.Equal(SamplerKind.DpmSolverPP2M, options.Sampler);
        Assert.Equal([0.6f, 0.9f], options.Thresholds);
        Assert.Equal(2f, options.Guidance);
        Assert.Equal(7UL, options.Seed);
        Assert.False(options.StaticTruncation);
        Assert.False(options.TimestepSchedule);
        Assert.Equal(10, options.ResolvedDdpmSamples);
        Assert.Equal(0, options.TargetSamples);
        Assert.True(options.WriteDefault);
    }

    [Theory]
    [InlineData("--thresholds", "0.5,1.5")]
    [InlineData("--samples", "5")]
    [InlineData("--target-samples", "5")]
    [InlineData("--sampler", "euler")]
    [InlineData("--backend", "tensorrt")]
    [InlineData("--unknown", "1")]
    [InlineData("--auto-targets", "0.5,1")]
    public void Parse_BadOption_Throws(string name, string value)
    {
        Assert.Throws<ArgumentException>(() => EvalOptions.Parse([name, value]));
    }
}
