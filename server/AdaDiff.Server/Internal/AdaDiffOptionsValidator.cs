using System.Net;
using System.Text.RegularExpressions;
using AdaDiff.Server.Backends;
using Microsoft.Extensions.Options;

namespace AdaDiff.Server.Internal;

/// <summary>
/// Checks <see cref="AdaDiffOptions"/> at start; every failure names the setting and what it must be. One helper a
/// group of settings, in the order the failures are listed.
/// </summary>
/// <param name="available">Backends compiled into this build (<see cref="ModelBackends.Available"/>).</param>
internal sealed partial class AdaDiffOptionsValidator(IReadOnlyList<string> available) : IValidateOptions<AdaDiffOptions>
{
    private const string S = AdaDiffOptions.SectionName;

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
        ArgumentNullException.ThrowIfNull(options);
        var failures = new Failures([]);
        ModelRepository(options, failures);
        Endpoints(options, failures);
        Scheduling(options, failures);
        Streams(options, failures);
        Limits(options.Limits, failures);
        Auth(options.Auth, failures);
        Tls(options.Tls, failures);
        Backends(options, failures);
        BatchFitsRequest(options, failures);
        failures.Range(options.RetryAfterSeconds, 0, 3600, nameof(options.RetryAfterSeconds));
        return failures.Result;
    }

    /// <summary>ModelRepository: an existing folder; DefaultModel: a valid name with a package in it.</summary>
    private static void ModelRepository(AdaDiffOptions options, Failures failures)
    {
        if (string.IsNullOrEmpty(options.ModelRepository))
        {
            failures.Add($"{S}:ModelRepository is not set and no 'models' folder was found above the content root or the executable; set it to the folder of model packages.");
        }
        else if (!Directory.Exists(options.ModelRepository))
        {
            failures.Add($"{S}:ModelRepository '{options.ModelRepository}' does not exist; set it to the folder of model packages.");
        }
        else if (string.IsNullOrEmpty(options.DefaultModel) || !ModelName().IsMatch(options.DefaultModel))
        {
            failures.Add($"{S}:DefaultModel '{options.DefaultModel}' is not a valid model name ({AdaDiffOptions.ModelNamePattern}).");
        }
        else if (!File.Exists(Path.Combine(options.ModelRepository, options.DefaultModel, "model.json")))
        {
            failures.Add($"{S}:DefaultModel '{options.DefaultModel}' is not in the model repository '{options.ModelRepository}' (no {options.DefaultModel}/model.json there).");
        }
    }

    /// <summary>BindAddress: an IP address; GrpcPort and HttpPort: two different ports.</summary>
    private static void Endpoints(AdaDiffOptions options, Failures failures)
    {
        if (!IPAddress.TryParse(options.BindAddress, out _))
        {
            failures.Add($"{S}:BindAddress '{options.BindAddress}' is not an IP address (e.g. 0.0.0.0 or 127.0.0.1).");
        }
        failures.Range(options.GrpcPort, 1, 65535, nameof(options.GrpcPort));
        failures.Range(options.HttpPort, 1, 65535, nameof(options.HttpPort));
        if (options.GrpcPort == options.HttpPort)
        {
            failures.Add($"{S}:GrpcPort and {S}:HttpPort are both {options.GrpcPort}; they must differ.");
        }
    }

    /// <summary>The scheduler's sizes: requests, queue, active jobs, rows per pass, and long generations within a pass.</summary>
    private static void Scheduling(AdaDiffOptions options, Failures failures)
    {
        failures.Range(options.MaxImagesPerRequest, 1, 1024, nameof(options.MaxImagesPerRequest));
        failures.Range(options.MaxSteps, 1, 100_000, nameof(options.MaxSteps));
        failures.Range(options.MaxQueuedJobs, 1, 100_000, nameof(options.MaxQueuedJobs));
        failures.Range(options.MaxActiveJobs, 0, 1024, nameof(options.MaxActiveJobs));
        failures.Range(options.MaxBatchRows, 0, 4096, nameof(options.MaxBatchRows));
        failures.Range(options.LongJobSteps, 1, 100_000, nameof(options.LongJobSteps));
        failures.Range(options.LongJobRows, 0, 4096, nameof(options.LongJobRows));
        if (options.MaxBatchRows > 0 && options.LongJobRows > options.MaxBatchRows)
        {
            failures.Add($"{S}:LongJobRows ({options.LongJobRows}) is more than {S}:MaxBatchRows ({options.MaxBatchRows}); long generations can hold at most a whole pass.");
        }
    }

    /// <summary>Threads, the drain's timeout, and what streams may hold open and leave unread.</summary>
    private static void Streams(AdaDiffOptions options, Failures failures)
    {
        failures.Range(options.Threads, 0, 1024, nameof(options.Threads));
        failures.Range(options.DrainTimeoutSeconds, 0, 3600, nameof(options.DrainTimeoutSeconds));
        failures.Range(options.MaxUnreadEventsPerStream, 1, 1000, nameof(options.MaxUnreadEventsPerStream));
        failures.Range(options.MaxOpenStreams, 1, 100_000, nameof(options.MaxOpenStreams));
        failures.Range(options.MaxStreamsPerConnection, 1, 10_000, nameof(options.MaxStreamsPerConnection));
        failures.Range(options.SlowReaderTimeoutSeconds, 1, 3600, nameof(options.SlowReaderTimeoutSeconds));
    }

    /// <summary>Limits: present, with header and message sizes in their ranges.</summary>
    private static void Limits(LimitsOptions? limits, Failures failures)
    {
        if (limits is null)
        {
            failures.Add($"{S}:Limits must not be null.");
            return;
        }
        failures.Range(limits.MaxRequestHeadersBytes, 1024, 1024 * 1024, "Limits:MaxRequestHeadersBytes");
        failures.Range(limits.MaxRequestHeaderCount, 16, 10_000, "Limits:MaxRequestHeaderCount");
        failures.Range(limits.MaxReceiveMessageBytes, 1024, 1024 * 1024 * 1024, "Limits:MaxReceiveMessageBytes");
        failures.Range(limits.MaxSendMessageBytes, 1024, 1024 * 1024 * 1024, "Limits:MaxSendMessageBytes");
    }

    /// <summary>Auth:TokenFile: when set, an existing file that holds a valid token set.</summary>
    private static void Auth(Security.AuthOptions auth, Failures failures)
    {
        failures.ExistingFile(auth.TokenFile, "Auth:TokenFile");
        if (string.IsNullOrEmpty(auth.TokenFile) || !File.Exists(auth.TokenFile))
        {
            return;
        }
        try
        {
            _ = Security.TokenSet.Load(auth.TokenFile);
        }
        catch (InvalidDataException e)
        {
            failures.Add($"{S}:Auth:TokenFile: {e.Message}.");
        }
    }

    /// <summary>Tls: existing files; a certificate and its key together; a client CA only with both.</summary>
    private static void Tls(Security.TlsOptions tls, Failures failures)
    {
        failures.ExistingFile(tls.CertificateFile, "Tls:CertificateFile");
        failures.ExistingFile(tls.KeyFile, "Tls:KeyFile");
        failures.ExistingFile(tls.ClientCaFile, "Tls:ClientCaFile");
        if (string.IsNullOrEmpty(tls.CertificateFile) != string.IsNullOrEmpty(tls.KeyFile))
        {
            failures.Add($"{S}:Tls:CertificateFile and {S}:Tls:KeyFile go together; set both (PEM files) or neither.");
        }
        if (!string.IsNullOrEmpty(tls.ClientCaFile) && string.IsNullOrEmpty(tls.CertificateFile))
        {
            failures.Add($"{S}:Tls:ClientCaFile (mutual TLS) needs {S}:Tls:CertificateFile and {S}:Tls:KeyFile.");
        }
    }

    /// <summary>Backend and ExecutionProvider, the server's and each model's: known names, and backends this build has.</summary>
    private void Backends(AdaDiffOptions options, Failures failures)
    {
        Backend(options.Backend, nameof(options.Backend), failures);
        failures.Choice(options.ExecutionProvider, nameof(options.ExecutionProvider), ModelBackends.Providers);
        foreach ((string model, ModelBackendOptions perModel) in options.Models)
        {
            Backend(perModel.Backend, $"Models:{model}:Backend", failures);
            failures.Choice(perModel.ExecutionProvider, $"Models:{model}:ExecutionProvider", ModelBackends.Providers);
        }
    }

    private void Backend(string? value, string setting, Failures failures)
    {
        if (value is null)
        {
            return;
        }
        if (Array.IndexOf(ModelBackends.KnownBackends, value) < 0)
        {
            failures.Choice(value, setting, ModelBackends.KnownBackends);
        }
        else if (!available.Contains(value))
        {
            failures.Add($"{S}:{setting} is '{value}', which this build leaves out (it has {string.Join(", ", available)}); " +
                $"build the server with -p:AdaDiffBackends={string.Join(",", ModelBackends.KnownBackends)} to serve it.");
        }
    }

    /// <summary>MaxBatchRows, when set, holds a whole request's images.</summary>
    private static void BatchFitsRequest(AdaDiffOptions options, Failures failures)
    {
        if (options.MaxBatchRows > 0 && options.MaxBatchRows < options.MaxImagesPerRequest)
        {
            failures.Add($"{S}:MaxBatchRows ({options.MaxBatchRows}) is less than {S}:MaxImagesPerRequest ({options.MaxImagesPerRequest}); a request's images must fit one batch (0 derives it from the device).");
        }
    }

    /// <summary>Collects the failures, each naming its setting under the options' section.</summary>
    private readonly struct Failures(List<string> list)
    {
        public ValidateOptionsResult Result => list.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(list);

        public void Add(string failure) => list.Add(failure);

        public void Range(int value, int min, int max, string setting)
        {
            if (value < min || value > max)
            {
                list.Add($"{S}:{setting} is {value}; it must be in {min}..{max}.");
            }
        }

        /// <summary>The same for a number of seconds; NaN is out of every range.</summary>
        public void Range(double value, double min, double max, string setting)
        {
            if (!(value >= min && value <= max))
            {
                list.Add($"{S}:{setting} is {value}; it must be in {min}..{max}.");
            }
        }

        public void ExistingFile(string? path, string setting)
        {
            if (!string.IsNullOrEmpty(path) && !File.Exists(path))
            {
                list.Add($"{S}:{setting} '{path}' does not exist.");
            }
        }

        public void Choice(string? value, string setting, params string[] allowed)
        {
            if (value is not null && Array.IndexOf(allowed, value) < 0)
            {
                list.Add($"{S}:{setting} is '{value}'; it must be one of {string.Join(", ", allowed)}.");
            }
        }
    }
}
