using System.Globalization;
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
    public void Parse_BadOption_ThrowsNamingTheOption(string name, string value)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => EvalOptions.Parse([name, value]));

        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Numbers_AreReadInTheInvariantCulture()
    {
        CultureInfo before = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE"); // where "2.5" would be 25 and "0,5" a half
            EvalOptions options = EvalOptions.Parse(["--guidance", "2.5", "--thresholds", "0.25,0.5"]);

            Assert.Equal(2.5f, options.Guidance);
            Assert.Equal([0.25f, 0.5f], options.Thresholds);
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }

    [Fact]
    public void Parse_OptionGivenTwice_TakesTheLastValue()
    {
        EvalOptions options = EvalOptions.Parse(["--thresholds", "0.5", "--samples", "20", "--thresholds", "auto", "--samples", "30"]);

        Assert.Null(options.Thresholds);
        Assert.Equal(30, options.Samples);
    }

    [Fact]
    public void Parse_TwoValuesAfterOneOption_IsAnError()
    {
        Assert.Throws<ArgumentException>(() => EvalOptions.Parse(["--samples", "20", "30"]));
    }

    [Theory]
    [InlineData("--samples", "abc", "--samples: 'abc' is not an integer")]
    [InlineData("--samples", "5", "--samples: must be at least 10")]
    [InlineData("--guidance", "-1", "--guidance: must be ≥ 0")]
    [InlineData("--thresholds", "0.5,x", "--thresholds: 'x' is not a number")]
    [InlineData("--sampler", "euler", "--sampler: 'euler' is not ddpm, ddim or dpm-solver++")]
    [InlineData("--samples", null, "'--samples'")]
    public async Task RunAsync_BadValue_ExitsWithTwoAndSaysWhichOption(string name, string? value, string expected)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int rc = await EvalCommand.RunAsync(value is null ? [name] : [name, value], stdout, stderr, CancellationToken.None);

        Assert.Equal(2, rc);
        Assert.Contains(expected, stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("adadiff-tools eval --help", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_Help_ListsEveryOptionAndExitsWithZero()
    {
        var stdout = new StringWriter();

        Assert.Equal(0, await EvalCommand.RunAsync(["--help"], stdout, new StringWriter(), CancellationToken.None));
        Assert.Contains("--baseline-model", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("compare", stdout.ToString(), StringComparison.Ordinal);
    }
}
