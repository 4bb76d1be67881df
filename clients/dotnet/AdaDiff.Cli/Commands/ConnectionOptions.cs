using System.CommandLine;
using AdaDiff.Cli.Internal;
using AdaDiff.Client;

namespace AdaDiff.Cli.Commands;

/// <summary>The options every command takes (recursive on the root): how to reach the server, and --json.</summary>
internal sealed class ConnectionOptions
{
    public Option<string> Server { get; } = new("--server")
    {
        Description = "Server address: http://host:port, https://host:port (TLS), or dns:///host:port to balance round-robin over every address (env ADADIFF_SERVER)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ADADIFF_SERVER") ?? "http://127.0.0.1:50051",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON object per line (events) for scripts", Recursive = true };

    public Option<int> Attempts { get; } = AttemptsOption();

    public Option<string?> TokenFile { get; } = new("--token-file")
    {
        Description = $"File holding the bearer token sent with every call (trimmed); without it, the token in {CliApp.TokenVariable} if set",
        Recursive = true,
    };

    public Option<bool> Tls { get; } = new("--tls") { Description = "TLS with a dns:/// address (an https:// address selects TLS by itself)", Recursive = true };

    public Option<string?> CaFile { get; } = new("--ca-file")
    {
        Description = "PEM CA certificate(s) to trust for the server's TLS certificate instead of the system's (a private CA, or a self-signed certificate itself)",
        Recursive = true,
    };

    public Option<string?> ClientCert { get; } = new("--client-cert") { Description = "PEM client certificate for mutual TLS (with --client-key)", Recursive = true };

    public Option<string?> ClientKey { get; } = new("--client-key") { Description = "Unencrypted PEM private key of --client-cert", Recursive = true };

    /// <summary>The options in the order the root command lists them.</summary>
    public IEnumerable<Option> All => [Server, Json, Attempts, TokenFile, Tls, CaFile, ClientCert, ClientKey];

    /// <summary>Where a command's output goes, as --json chose.</summary>
    public Output Output(ParseResult parse, TextWriter stdout, TextWriter stderr) => new(stdout, stderr, parse.GetValue(Json));

    /// <summary>The connection the command line and the environment's token describe.</summary>
    public ConnectionSettings Connection(ParseResult parse) => new(
        parse.GetValue(Server)!, parse.GetValue(Attempts), parse.GetValue(TokenFile), Environment.GetEnvironmentVariable(CliApp.TokenVariable),
        parse.GetValue(Tls), parse.GetValue(CaFile), parse.GetValue(ClientCert), parse.GetValue(ClientKey));

    /// <summary>A command that makes its calls on one client of the server: its action gets the client and the output.</summary>
    public Command ClientCommand(string name, string description, TextWriter stdout, TextWriter stderr, Func<AdaDiffClient, Output, CancellationToken, Task<int>> run)
    {
        var command = new Command(name, description);
        command.SetAction((parse, ct) =>
        {
            Output output = Output(parse, stdout, stderr);
            return CallGuard.RunAsync(output, Connection(parse), client => run(client, output, ct));
        });
        return command;
    }

    private static Option<int> AttemptsOption()
    {
        var attempts = new Option<int>("--attempts")
        {
            Description = "Attempts per call, 1..5, retried with backoff on UNAVAILABLE and RESOURCE_EXHAUSTED only",
            DefaultValueFactory = _ => 3,
            Recursive = true,
        };
        attempts.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 5)
            {
                r.AddError("--attempts must be 1..5.");
            }
        });
        return attempts;
    }
}
