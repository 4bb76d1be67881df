using Microsoft.Extensions.Options;

// Settings: appsettings.json beside the executable, then ADADIFF__… environment variables, then
// command-line flags such as --AdaDiff:ModelRepository=/models --AdaDiff:GrpcPort=50051.
// Exit codes: 0 stopped normally (every stream drained), 1 could not start or load the models, 2 invalid configuration,
// 3 stopped with streams still running when the drain period (AdaDiff:DrainTimeoutSeconds) ended.
try
{
    WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
    {
        Args = args,
        ContentRootPath = AppContext.BaseDirectory,
    });
    builder.Services.AddAdaDiff(builder.Configuration);

    WebApplication app = builder.Build();
    app.MapAdaDiff();
    await app.RunAsync().ConfigureAwait(false);
    return Environment.ExitCode;
}
catch (OptionsValidationException e)
{
    await Console.Error.WriteLineAsync("adadiff-server: invalid configuration:").ConfigureAwait(false);
    foreach (string failure in e.Failures)
    {
        await Console.Error.WriteLineAsync($"  {failure}").ConfigureAwait(false);
    }
    return 2;
}
catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException)
{
    await Console.Error.WriteLineAsync($"adadiff-server: cannot start: {e.Message}").ConfigureAwait(false);
    return 1;
}
