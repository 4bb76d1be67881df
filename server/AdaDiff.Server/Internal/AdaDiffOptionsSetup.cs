using Microsoft.Extensions.Options;

namespace AdaDiff.Server.Internal;

/// <summary>Resolves <see cref="AdaDiffOptions.ModelRepository"/> to an absolute path (default: the nearest models/ folder).</summary>
internal sealed class AdaDiffOptionsSetup(IHostEnvironment environment) : IPostConfigureOptions<AdaDiffOptions>
{
    public void PostConfigure(string? name, AdaDiffOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ModelRepository))
        {
            options.ModelRepository = ModelRepositoryLocator.Find(environment.ContentRootPath, AppContext.BaseDirectory);
        }
        else
        {
            options.ModelRepository = Path.GetFullPath(options.ModelRepository);
        }
    }
}
