using System.CommandLine;
using System.Globalization;
using AdaDiff.Cli.Internal;
using AdaDiff.Client;
using AdaDiff.Grpc.V1;
using Grpc.Health.V1;
using static AdaDiff.Cli.CliApp;

namespace AdaDiff.Cli.Commands;

/// <summary>
/// The commands that ask the server one question: <c>adadiff models</c> (the models it serves, a line each, an event
/// each with --json) and <c>adadiff health</c> (its grpc.health.v1 status; exit code 0 only when it is serving).
/// </summary>
internal static class QueryCommands
{
    public static Command Models(ConnectionOptions connection, TextWriter stdout, TextWriter stderr) =>
        connection.ClientCommand("models", "List the models the server serves", stdout, stderr, ListModelsAsync);

    public static Command Health(ConnectionOptions connection, TextWriter stdout, TextWriter stderr) =>
        connection.ClientCommand("health", "Ask the server's grpc.health.v1 service", stdout, stderr, CheckHealthAsync);

    private static async Task<int> ListModelsAsync(AdaDiffClient client, Output output, CancellationToken ct)
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
                $"{m.Name}{(m.IsDefault ? " (default)" : "")}: {m.Channels}x{m.Height}x{m.Width}, depth {m.Depth}, {(m.Conditioning == Conditioning.Text ? $"text prompts ({m.MaxPromptTokens} tokens, {m.PromptVocabulary.Count} words)" : $"{m.NumClasses} classes")}, threshold {m.DefaultThreshold}, guidance {m.DefaultGuidanceScale}, {m.Backend}/{m.ExecutionProvider} — {m.Description}"));
        }
        return ExitCodes.Ok;
    }

    private static async Task<int> CheckHealthAsync(AdaDiffClient client, Output output, CancellationToken ct)
    {
        HealthCheckResponse.Types.ServingStatus status = await client.CheckHealthAsync("", TimeSpan.FromSeconds(30), ct);
        if (output.Json)
        {
            await output.Events.HealthAsync(CodeName(status));
        }
        else
        {
            await output.Out.WriteLineAsync(status.ToString());
        }
        return status == HealthCheckResponse.Types.ServingStatus.Serving ? ExitCodes.Ok : ExitCodes.Unavailable;
    }

    private static string CodeName(HealthCheckResponse.Types.ServingStatus status) => status switch
    {
        HealthCheckResponse.Types.ServingStatus.Serving => "SERVING",
        HealthCheckResponse.Types.ServingStatus.NotServing => "NOT_SERVING",
        HealthCheckResponse.Types.ServingStatus.ServiceUnknown => "SERVICE_UNKNOWN",
        _ => "UNKNOWN",
    };
}
