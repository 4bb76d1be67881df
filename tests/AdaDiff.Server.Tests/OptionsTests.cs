using AdaDiff.Server.Backends;
using AdaDiff.Server.Internal;
using Microsoft.Extensions.Options;

namespace AdaDiff.Server.Tests;

public sealed class OptionsTests
{
    private static AdaDiffOptions Valid() => new() { ModelRepository = TestPaths.ModelRepository };

    private static ValidateOptionsResult Validate(AdaDiffOptions options) => new AdaDiffOptionsValidator(ModelBackends.KnownBackends).Validate(null, options);

    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(Validate(Valid()).Succeeded);
    }

    public static TheoryData<string, string> BadSettings() => new()
    {
        { "GrpcPort", "0" },
        { "HttpPort", "70000" },
        { "MaxImagesPerRequest", "0" },
        { "MaxSteps", "0" },
        { "MaxQueuedJobs", "0" },
        { "MaxActiveJobs", "-1" },
        { "MaxActiveJobs", "1025" },
        { "MaxBatchRows", "-1" },
        { "MaxBatchRows", "8" }, // below MaxImagesPerRequest (16)
        { "LongJobSteps", "0" },
        { "LongJobRows", "-1" },
        { "LongJobRows", "65" }, // above MaxBatchRows, set to 64 below
        { "Threads", "-1" },
        { "BindAddress", "not-an-address" },
        { "DefaultModel", "../models" },
        { "DefaultModel", "no-such-model" },
        { "ModelRepository", "/nonexistent/models" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Validate_BadSetting_FailsNamingIt(string setting, string value)
    {
        AdaDiffOptions options = Valid();
        options.MaxBatchRows = setting == "LongJobRows" ? 64 : options.MaxBatchRows;
        typeof(AdaDiffOptions).GetProperty(setting)!.SetValue(options, setting is "BindAddress" or "DefaultModel" or "ModelRepository" ? value : int.Parse(value, System.Globalization.CultureInfo.InvariantCulture));

        ValidateOptionsResult result = Validate(options);

        Assert.True(result.Failed);
        Assert.Contains($"AdaDiff:{setting}", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BatchLimitsZero_MeanDerived_Succeed()
    {
        AdaDiffOptions options = Valid();
        Assert.Equal(0, options.MaxBatchRows);
        Assert.Equal(0, options.MaxActiveJobs);
        options.LongJobRows = 100; // not held to the rows of a derived pass: the scheduler takes at most a pass

        Assert.True(Validate(options).Succeeded);
    }

    [Fact]
    public void Validate_SamePortTwice_Fails()
    {
        AdaDiffOptions options = Valid();
        options.HttpPort = options.GrpcPort;

        Assert.Contains("must differ", Validate(options).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Locator_FromNestedFolder_FindsRepositoryModels()
    {
        string nested = Path.Combine(TestPaths.RepositoryRoot, "server", "AdaDiff.Server");

        Assert.Equal(TestPaths.ModelRepository, ModelRepositoryLocator.Find(null, nested));
    }
}
