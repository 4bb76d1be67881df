using AdaDiff.Server.Models;

namespace AdaDiff.Server.Internal;

/// <summary>
/// Loads the models in the background at start so that /healthz answers at once and /readyz turns ready
/// when loading ends. A load failure is fatal: it is logged and the host stops with exit code 1.
/// </summary>
internal sealed class ModelLoaderService(ModelRegistry registry, IHostApplicationLifetime lifetime, ILogger<ModelLoaderService> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loading;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loading = Task.Run(() =>
        {
            try
            {
                registry.Load(_stopping.Token);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
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
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loading is not null)
        {
            await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _stopping.Dispose();
}
