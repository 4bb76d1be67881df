using AdaDiff.Server.Models;

namespace AdaDiff.Server.Internal;

/// <summary>
/// Loads the models in the background at start so that /healthz answers at once and /readyz turns ready
/// when loading ends. A load failure is fatal: it is logged and the host stops with exit code 1.
/// </summary>
internal sealed class ModelLoaderService(ModelRegistry registry, IHostApplicationLifetime lifetime, ILogger<ModelLoaderService> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private Task? loading;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        loading = Task.Run(() =>
        {
            try
            {
                registry.Load(stopping.Token);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Shutting down while loading.
            }
            catch (Exception e)
            {
                ServerLog.ModelLoadFailed(logger, e);
                Environment.ExitCode = 1;
                lifetime.StopApplication();
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        if (loading is not null)
        {
            await loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => stopping.Dispose();
}
