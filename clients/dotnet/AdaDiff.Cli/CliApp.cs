using System.CommandLine;
using AdaDiff.Cli.Commands;

namespace AdaDiff.Cli;

/// <summary>The <c>adadiff</c> command line: generate, models, health.</summary>
public static class CliApp
{
    /// <summary>Exit codes a script can rely on.</summary>
    public static class ExitCodes
    {
        /// <summary>The command did what it was asked.</summary>
        public const int Ok = 0;
        /// <summary>The server or the command failed for any other reason.</summary>
        public const int Failed = 1;
        /// <summary>An argument was invalid (locally or by the server's INVALID_ARGUMENT).</summary>
        public const int BadArgument = 2;
        /// <summary>The model or job asked for does not exist (NOT_FOUND).</summary>
        public const int NotFound = 3;
        /// <summary>The server could not be reached, did not answer in time, or is not serving (UNAVAILABLE).</summary>
        public const int Unavailable = 4;
        /// <summary>The server refused the credentials (UNAUTHENTICATED).</summary>
        public const int Unauthenticated = 5;
    }

    /// <summary>The environment variable holding the bearer token when --token-file is not given.</summary>
    internal const string TokenVariable = "ADADIFF_TOKEN";

    /// <summary>Parses <paramref name="args"/> and runs the command.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="stdout">Where results go (and the live display, when it is the console of a terminal).</param>
    /// <param name="stderr">Where error messages go.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var connection = new ConnectionOptions();
        var root = new RootCommand("adadiff: call an AdaDiff diffusion server");
        foreach (Option option in connection.All)
        {
            root.Options.Add(option);
        }
        root.Subcommands.Add(GenerateCommand.Create(connection, stdout, stderr));
        root.Subcommands.Add(QueryCommands.Models(connection, stdout, stderr));
        root.Subcommands.Add(QueryCommands.Health(connection, stdout, stderr));
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // A bad command line is a bad argument (exit 2), like a request the server rejects.
            foreach (System.CommandLine.Parsing.ParseError error in parsed.Errors)
            {
                await stderr.WriteLineAsync($"error: {error.Message}");
            }
            await stderr.WriteLineAsync("Run 'adadiff --help' (or 'adadiff <command> --help') for the options.");
            return ExitCodes.BadArgument;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
    }
}
