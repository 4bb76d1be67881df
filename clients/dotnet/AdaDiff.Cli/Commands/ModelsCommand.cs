using System.CommandLine;
using System.Globalization;
using AdaDiff.Cli.Internal;
using AdaDiff.Client;
using AdaDiff.Grpc.V1;
using static AdaDiff.Cli.CliApp;

namespace AdaDiff.Cli.Commands;

/// <summary><c>adadiff models</c>: the models the server serves, a line each (an event each with --json).</summary>
internal static class ModelsCommand
{
    public static Command Create(ConnectionOptions connection, TextWriter stdout, TextWriter stderr) =>
        connection.ClientCommand("models", "List the models the server serves", stdout, stderr, RunAsync);

    private static async Task<int> RunAsync(AdaDiffClient client, Output output, CancellationToken ct)
    {
        IReadOnlyList<ModelInfo> models = await client.ListModelsAsync(TimeSpan.FromSeconds(30), ct);
        foreach (ModelInfo m in models)
        {
            if (output.Json)
            {
                await output.Events.ModelAsync(m);
                continue;
            }
            await output.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{m.Name}{(m.IsDefault ? " (default)" : "")}: {m.Channels}x{m.Height}x{m.Width}, depth {m.Depth}, {m.NumClasses} classes, threshold {m.DefaultThreshold}, guidance {m.DefaultGuidanceScale}, {m.Backend}/{m.ExecutionProvider} — {m.Description}"));
        }
        return ExitCodes.Ok;
    }
}
