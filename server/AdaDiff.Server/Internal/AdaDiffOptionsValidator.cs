using System.Net;
using System.Text.RegularExpressions;
using AdaDiff.Server.Backends;
using Microsoft.Extensions.Options;

namespace AdaDiff.Server.Internal;

/// <summary>Checks <see cref="AdaDiffOptions"/> at start; every failure names the setting and what it must be.</summary>
/// <param name="available">Backends compiled into this build (<see cref="ModelBackends.Available"/>).</param>
internal sealed partial class AdaDiffOptionsValidator(IReadOnlyList<string> available) : IValidateOptions<AdaDiffOptions>
{
    /// <summary>Validates against the backends registered with the container.</summary>
    public AdaDiffOptionsValidator(ModelBackends backends)
        : this(backends?.Available ?? throw new ArgumentNullException(nameof(backends)))
    {
    }

    // ModelNamePattern with \z for $: in .NET, $ also matches before a final newline.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z", RegexOptions.CultureInvariant)]
    internal static partial Regex ModelName();

    public ValidateOptionsResult Validate(string? name, AdaDiffOptions options)
    {
        const string s = AdaDiffOptions.SectionName;
        List<string> failures = [];
        void Range(int value, int min, int max, string setting)
        {
            if (value < min || value > max)
            {
                failures.Add($"{s}:{setting} is {value}; it must be in {min}..{max}.");
            }
        }

        if (string.IsNullOrEmpty(options.ModelRepository))
        {
            failures.Add($"{s}:ModelRepository is not set and no 'models' folder was found above the content root or the executable; set it to the folder of model packages.");
        }
        else if (!Directory.Exists(options.ModelRepository))
        {
            failures.Add($"{s}:ModelRepository '{options.ModelRepository}' does not exist; set it to the folder of model packages.");
        }
        else if (string.IsNullOrEmpty(options.DefaultModel) || !ModelName().IsMatch(options.DefaultModel))
        {
            failures.Add($"{s}:DefaultModel '{options.DefaultModel}' is not a valid model name ({AdaDiffOptions.ModelNamePattern}).");
        }
        else if (!File.Exists(Path.Combine(options.ModelRepository, options.DefaultModel, "model.json")))
        {
            failures.Add($"{s}:DefaultModel '{options.DefaultModel}' is not in the model repository '{options.ModelRepository}' (no {options.DefaultModel}/model.json there).");
        }

        if (!IPAddress.TryParse(options.BindAddress, out _))
        {
            failures.Add($"{s}:BindAddress '{options.BindAddress}' is not an IP address (e.g. 0.0.0.0 or 127.0.0.1).");
        }
        Range(options.GrpcPort, 1, 65535, nameof(options.GrpcPort));
        Range(options.HttpPort, 1, 65535, nameof(options.HttpPort));
        if (options.GrpcPort == options.HttpPort)
        {
            failures.Add($"{s}:GrpcPort and {s}:HttpPort are both {options.GrpcPort}; they must differ.");
        }
        Range(options.MaxImagesPerRequest, 1, 1024, nameof(options.MaxImagesPerRequest));
        Range(options.MaxSteps, 1, 100_000, nameof(options.MaxSteps));
        Range(options.MaxQueuedJobs, 1, 100_000, nameof(options.MaxQueuedJobs));
        Range(options.MaxActiveJobs, 0, 1024, nameof(options.MaxActiveJobs));
        Range(options.MaxBatchRows, 0, 4096, nameof(options.MaxBatchRows));
        Range(options.LongJobSteps, 1, 100_000, nameof(options.LongJobSteps));
        Range(options.LongJobRows, 0, 4096, nameof(options.LongJobRows));
        if (options.MaxBatchRows > 0 && options.LongJobRows > options.MaxBatchRows)
        {
            failures.Add($"{s}:LongJobRows ({options.LongJobRows}) is more than {s}:MaxBatchRows ({options.MaxBatchRows}); long generations can hold at most a whole pass.");
        }
        Range(options.Threads, 0, 1024, nameof(options.Threads));
        Range(options.DrainTimeoutSeconds, 0, 3600, nameof(options.DrainTimeoutSeconds));
        Range(options.MaxUnreadEventsPerStream, 1, 1000, nameof(options.MaxUnreadEventsPerStream));
        Range(options.MaxOpenStreams, 1, 100_000, nameof(options.MaxOpenStreams));
        Range(options.MaxStreamsPerConnection, 1, 10_000, nameof(options.MaxStreamsPerConnection));
        if (!(options.SlowReaderTimeoutSeconds >= 1 && options.SlowReaderTimeoutSeconds <= 3600))
        {
            failures.Add($"{s}:SlowReaderTimeoutSeconds is {options.SlowReaderTimeoutSeconds}; it must be in 1..3600.");
        }
        if (options.Limits is null)
        {
            failures.Add($"{s}:Limits must not be null.");
        }
        else
        {
            Range(options.Limits.MaxRequestHeadersBytes, 1024, 1024 * 1024, "Limits:MaxRequestHeadersBytes");
            Range(options.Limits.MaxRequestHeaderCount, 16, 10_000, "Limits:MaxRequestHeaderCount");
            Range(options.Limits.MaxReceiveMessageBytes, 1024, 1024 * 1024 * 1024, "Limits:MaxReceiveMessageBytes");
            Range(options.Limits.MaxSendMessageBytes, 1024, 1024 * 1024 * 1024, "Limits:MaxSendMessageBytes");
        }
        void ExistingFile(string? path, string setting)
        {
            if (!string.IsNullOrEmpty(path) && !File.Exists(path))
            {
                failures.Add($"{s}:{setting} '{path}' does not exist.");
            }
        }
        ExistingFile(options.Auth.TokenFile, "Auth:TokenFile");
        if (!string.IsNullOrEmpty(options.Auth.TokenFile) && File.Exists(options.Auth.TokenFile))
        {
            try
            {
                _ = Security.TokenSet.Load(options.Auth.TokenFile);
            }
            catch (InvalidDataException e)
            {
                failures.Add($"{s}:Auth:TokenFile: {e.Message}.");
            }
        }
        ExistingFile(options.Tls.CertificateFile, "Tls:CertificateFile");
        ExistingFile(options.Tls.KeyFile, "Tls:KeyFile");
        ExistingFile(options.Tls.ClientCaFile, "Tls:ClientCaFile");
        if (string.IsNullOrEmpty(options.Tls.CertificateFile) != string.IsNullOrEmpty(options.Tls.KeyFile))
        {
            failures.Add($"{s}:Tls:CertificateFile and {s}:Tls:KeyFile go together; set both (PEM files) or neither.");
        }
        if (!string.IsNullOrEmpty(options.Tls.ClientCaFile) && string.IsNullOrEmpty(options.Tls.CertificateFile))
        {
            failures.Add($"{s}:Tls:ClientCaFile (mutual TLS) needs {s}:Tls:CertificateFile and {s}:Tls:KeyFile.");
        }
        void Choice(string? value, string setting, params string[] allowed)
        {
            if (value is not null && Array.IndexOf(allowed, value) < 0)
            {
                failures.Add($"{s}:{setting} is '{value}'; it must be one of {string.Join(", ", allowed)}.");
            }
        }
        void Backend(string? value, string setting)
        {
            if (value is null)
            {
                return;
            }
            if (Array.IndexOf(ModelBackends.KnownBackends, value) < 0)
            {
                Choice(value, setting, ModelBackends.KnownBackends);
            }
            else if (!available.Contains(value))
            {
                failures.Add($"{s}:{setting} is '{value}', which this build leaves out (it has {string.Join(", ", available)}); " +
                    $"build the server with -p:AdaDiffBackends={string.Join(",", ModelBackends.KnownBackends)} to serve it.");
            }
        }
        Backend(options.Backend, nameof(options.Backend));
        Choice(options.ExecutionProvider, nameof(options.ExecutionProvider), ModelBackends.Providers);
        foreach ((string model, ModelBackendOptions perModel) in options.Models)
        {
            Backend(perModel.Backend, $"Models:{model}:Backend");
            Choice(perModel.ExecutionProvider, $"Models:{model}:ExecutionProvider", ModelBackends.Providers);
        }
        if (options.MaxBatchRows > 0 && options.MaxBatchRows < options.MaxImagesPerRequest)
        {
            failures.Add($"{s}:MaxBatchRows ({options.MaxBatchRows}) is less than {s}:MaxImagesPerRequest ({options.MaxImagesPerRequest}); a request's images must fit one batch (0 derives it from the device).");
        }
        if (!(options.RetryAfterSeconds >= 0 && options.RetryAfterSeconds <= 3600))
        {
            failures.Add($"{s}:RetryAfterSeconds is {options.RetryAfterSeconds}; it must be in 0..3600.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
