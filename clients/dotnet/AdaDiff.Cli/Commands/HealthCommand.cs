using System.CommandLine;
using AdaDiff.Cli.Internal;
using AdaDiff.Client;
using Grpc.Health.V1;
using static AdaDiff.Cli.CliApp;

namespace AdaDiff.Cli.Commands;

/// <summary><c>adadiff health</c>: the server's grpc.health.v1 status; exit code 0 only when it is serving.</summary>
internal static class HealthCommand
{
    public static Command Create(ConnectionOptions connection, TextWriter stdout, TextWriter stderr) =>
        connection.ClientCommand("health", "Ask the server's grpc.health.v1 service", stdout, stderr, RunAsync);

    private static async Task<int> RunAsync(AdaDiffClient client, Output output, CancellationToken ct)
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
