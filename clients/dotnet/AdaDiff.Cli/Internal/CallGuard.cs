using System.Globalization;
using System.Security.Cryptography;
using AdaDiff.Client;
using Grpc.Core;
using static AdaDiff.Cli.CliApp;

namespace AdaDiff.Cli.Internal;

/// <summary>
/// Runs a command's call on a client of the server: the address and credentials checked and the client made first,
/// then every failure said in the command line's terms (what to pass, what to start) with its exit code.
/// </summary>
internal static class CallGuard
{
    /// <summary>Connects as <paramref name="settings"/> say and runs <paramref name="action"/>; returns its exit code or the failure's.</summary>
    public static async Task<int> RunAsync(Output output, ConnectionSettings settings, Func<AdaDiffClient, Task<int>> action)
    {
        (AdaDiffClient? connected, string? problem) = Connect(settings);
        if (connected is null)
        {
            return await output.FailAsync("INVALID_ARGUMENT", ExitCodes.BadArgument, problem!);
        }
        using AdaDiffClient client = connected;
        try
        {
            return await action(client);
        }
        catch (RpcException e)
        {
            return await output.FailAsync(CodeName(e.StatusCode), ExitCode(e), Describe(e, settings));
        }
        catch (OperationCanceledException)
        {
            return await output.FailAsync("CANCELLED", ExitCodes.Failed, "error: cancelled.");
        }
        catch (IOException e)
        {
            return await output.FailAsync("IO", ExitCodes.Failed, $"error: cannot write output: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            return await output.FailAsync("IO", ExitCodes.Failed, $"error: cannot write output: {e.Message}");
        }
    }

    /// <summary>
    /// The client <paramref name="settings"/> describe, or what is wrong with them (a bad address, options that do not
    /// go together, a credentials file that is missing, empty or unreadable), said before any call is made.
    /// </summary>
    private static (AdaDiffClient? Client, string? Problem) Connect(ConnectionSettings settings)
    {
        string address = settings.Address;
        Uri uri;
        try
        {
            uri = new Uri(address);
        }
        catch (UriFormatException e)
        {
            return (null, $"error: bad --server address '{address}': {e.Message}");
        }
        if (settings.CredentialsError(uri) is string problem)
        {
            return (null, $"error: {problem}");
        }
        try
        {
            return (new AdaDiffClient(new AdaDiffClientOptions
            {
                Address = uri,
                RoundRobin = uri.Scheme == "dns",
                MaxAttempts = settings.Attempts,
                DefaultTimeout = null, // each command sets its own
                TokenFile = settings.TokenFile,
                Token = settings.TokenSource == TokenVariable ? settings.EnvironmentToken : null,
                UseTls = settings.Tls,
                CaFile = settings.CaFile,
                ClientCertificateFile = settings.ClientCertificate,
                ClientKeyFile = settings.ClientKey,
            }), null);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or CryptographicException or IOException or UnauthorizedAccessException)
        {
            return (null, $"error: {char.ToLowerInvariant(e.Message[0])}{e.Message[1..]}");
        }
        catch (FormatException)
        {
            return (null, $"error: the token in {TokenVariable} is empty or holds a space or a character outside visible ASCII, which an authorization header cannot carry.");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return (null, $"error: bad --server address '{address}': {e.Message}");
        }
    }

    /// <summary>The exit code of a failed call.</summary>
    private static int ExitCode(RpcException e) => e.StatusCode switch
    {
        StatusCode.InvalidArgument => ExitCodes.BadArgument,
        StatusCode.NotFound => ExitCodes.NotFound,
        StatusCode.Unavailable or StatusCode.DeadlineExceeded => ExitCodes.Unavailable,
        StatusCode.Unauthenticated => ExitCodes.Unauthenticated,
        _ when IsConnectionFailure(e) => ExitCodes.Unavailable, // grpc-dotnet: INTERNAL for a TLS handshake that failed
        _ => ExitCodes.Failed,
    };

    /// <summary>The canonical upper-snake name of a status code (UNAVAILABLE, INVALID_ARGUMENT…).</summary>
    internal static string CodeName(StatusCode code)
    {
        string name = code.ToString();
        var sb = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
            {
                sb.Append('_');
            }
            sb.Append(char.ToUpperInvariant(name[i]));
        }
        return sb.ToString();
    }

    private static string Describe(RpcException e, ConnectionSettings settings)
    {
        string address = settings.Address;
        switch (e.StatusCode)
        {
            case StatusCode.Unavailable or StatusCode.Internal when IsTlsFailure(e):
                return $"error: TLS with {address} failed ({e.Status.Detail}). If the server's certificate is self-signed or from a private CA, "
                    + "pass that CA with --ca-file; if the server requires a client certificate, pass --client-cert and --client-key; "
                    + "if it serves plaintext, use an http:// address.";
            case StatusCode.Unavailable or StatusCode.Internal when IsConnectionFailure(e) && settings.Secure(new Uri(address)):
                return $"error: server unavailable at {address} ({e.Status.Detail}). Is it running? Start it with scripts/serve.sh. "
                    + (settings.ClientCertificate is null
                        ? "A server that requires a client certificate (mutual TLS) closes the connection without one: pass --client-cert and --client-key."
                        : "A server that does not accept the client certificate closes the connection: check --client-cert against the server's client CA.");
            case StatusCode.Unavailable or StatusCode.Internal when IsConnectionFailure(e):
                return $"error: server unavailable at {address} ({e.Status.Detail}). Is it running? Start it with scripts/serve.sh. If it serves TLS, use an https:// address.";
            case StatusCode.Unavailable:
                return $"error: server unavailable at {address} ({e.Status.Detail}). Is it running? Start it with scripts/serve.sh.";
            case StatusCode.Unauthenticated when settings.TokenSource is null:
                return $"error: the server requires a bearer token ({e.Status.Detail.TrimEnd('.')}). Pass it with --token-file FILE or in the {TokenVariable} environment variable.";
            case StatusCode.Unauthenticated:
                return $"error: the server refused the bearer token from {settings.TokenSource} ({e.Status.Detail.TrimEnd('.')}). "
                    + $"Check it against the server's token file, or pass another with --token-file FILE or {TokenVariable}.";
            case StatusCode.DeadlineExceeded:
                return $"error: the deadline passed before the server answered ({e.Status.Detail}); raise --timeout.";
            case StatusCode.NotFound:
                return $"error: {e.Status.Detail} Run 'adadiff models' to list the served models.";
            case StatusCode.ResourceExhausted:
                TimeSpan? wait = RpcErrors.RetryDelay(e);
                return $"error: the server is busy ({e.Status.Detail}){(wait is null ? "" : string.Create(CultureInfo.InvariantCulture, $"; try again in {wait.Value.TotalSeconds:0.#} s"))}.";
            default:
                var text = $"error: {CodeName(e.StatusCode)}: {e.Status.Detail}";
                foreach (var (field, description) in RpcErrors.FieldViolations(e))
                {
                    text += $"\n  {field}: {description}";
                }
                return text;
        }
    }

    /// <summary>A failed TLS handshake (untrusted or mismatched certificate, no client certificate, plaintext server) anywhere in the cause.</summary>
    private static bool IsTlsFailure(RpcException e)
    {
        for (Exception? inner = e.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The call never reached the server: the connection or its TLS handshake failed (HttpRequestException in the cause).</summary>
    private static bool IsConnectionFailure(RpcException e)
    {
        for (Exception? inner = e.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException)
            {
                return true;
            }
        }
        return false;
    }
}
