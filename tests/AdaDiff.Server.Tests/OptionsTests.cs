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

    /// <summary>Options with a bad value in every group of settings (and files that do not exist).</summary>
    internal static AdaDiffOptions EverythingBad()
    {
        AdaDiffOptions options = Valid();
        options.DefaultModel = "no-such-model";
        options.BindAddress = "nowhere";
        options.GrpcPort = 70_000;
        options.HttpPort = 70_000;
        options.MaxSteps = 0;
        options.MaxBatchRows = 8;
        options.LongJobRows = 9;
        options.MaxUnreadEventsPerStream = 0;
        options.SlowReaderTimeoutSeconds = double.NaN;
        options.Limits.MaxRequestHeaderCount = 1;
        options.Auth.TokenFile = "/nonexistent/tokens";
        options.Tls.CertificateFile = "/nonexistent/cert.pem";
        options.Tls.ClientCaFile = "/nonexistent/ca.pem";
        options.Backend = "tensorflow";
        options.ExecutionProvider = "tpu";
        options.Models["other"] = new ModelBackendOptions { Backend = "torchsharp", ExecutionProvider = "gpu" };
        options.RetryAfterSeconds = -1;
        return options;
    }

    [Fact]
    public void Validate_EveryGroupBad_ListsEachFailureOnceInTheOrderOfTheSettings()
    {
        ValidateOptionsResult result = new AdaDiffOptionsValidator(["onnxruntime"]).Validate(null, EverythingBad());

        string[] expected =
        [
            "AdaDiff:DefaultModel 'no-such-model' is not in the model repository",
            "AdaDiff:BindAddress 'nowhere' is not an IP address",
            "AdaDiff:GrpcPort is 70000; it must be in 1..65535.",
            "AdaDiff:HttpPort is 70000; it must be in 1..65535.",
            "AdaDiff:GrpcPort and AdaDiff:HttpPort are both 70000; they must differ.",
            "AdaDiff:MaxSteps is 0; it must be in 1..100000.",
            "AdaDiff:LongJobRows (9) is more than AdaDiff:MaxBatchRows (8)",
            "AdaDiff:MaxUnreadEventsPerStream is 0; it must be in 1..1000.",
            "AdaDiff:SlowReaderTimeoutSeconds is NaN; it must be in 1..3600.",
            "AdaDiff:Limits:MaxRequestHeaderCount is 1; it must be in 16..10000.",
            "AdaDiff:Auth:TokenFile '/nonexistent/tokens' does not exist.",
            "AdaDiff:Tls:CertificateFile '/nonexistent/cert.pem' does not exist.",
            "AdaDiff:Tls:ClientCaFile '/nonexistent/ca.pem' does not exist.",
            "AdaDiff:Tls:CertificateFile and AdaDiff:Tls:KeyFile go together",
            "AdaDiff:Backend is 'tensorflow'; it must be one of onnxruntime, torchsharp.",
            "AdaDiff:ExecutionProvider is 'tpu'; it must be one of cpu, cuda.",
            "AdaDiff:Models:other:Backend is 'torchsharp', which this build leaves out (it has onnxruntime)",
            "AdaDiff:Models:other:ExecutionProvider is 'gpu'; it must be one of cpu, cuda.",
            "AdaDiff:MaxBatchRows (8) is less than AdaDiff:MaxImagesPerRequest (16)",
            "AdaDiff:RetryAfterSeconds is -1; it must be in 0..3600.",
        ];
        string[] failures = [.. result.Failures!];
        Assert.Equal(expected.Length, failures.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.StartsWith(expected[i], failures[i], StringComparison.Ordinal);
        }
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
