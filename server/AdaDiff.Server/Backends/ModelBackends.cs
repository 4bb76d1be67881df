using AdaDiff.Engine.Backends;

namespace AdaDiff.Server.Backends;

/// <summary>The backends compiled into this server, and the one each model is configured to load on.</summary>
public sealed class ModelBackends
{
    /// <summary>Every backend name a configuration may give, whether or not this build has it.</summary>
    public static readonly string[] KnownBackends = ["onnxruntime", "torchsharp"];

    /// <summary>Execution providers a configuration may give.</summary>
    public static readonly string[] Providers = ["cpu", "cuda"];

    private readonly Dictionary<string, IModelBackendFactory> factories = new(StringComparer.Ordinal);

    /// <summary>Collects the registered factories.</summary>
    public ModelBackends(IEnumerable<IModelBackendFactory> factories)
    {
        ArgumentNullException.ThrowIfNull(factories);
        foreach (IModelBackendFactory factory in factories)
        {
            this.factories[factory.Name] = factory;
        }
    }

    /// <summary>Names of the backends in this build, in <see cref="KnownBackends"/> order.</summary>
    public IReadOnlyList<string> Available => [.. KnownBackends.Where(factories.ContainsKey)];

    /// <summary>
    /// Loads the package in <paramref name="packageDir"/> on the backend configured for <paramref name="model"/>
    /// (its <see cref="AdaDiffOptions.Models"/> entry, else the server-wide settings).
    /// </summary>
    public IDenoiserBackend Load(string model, string packageDir, AdaDiffOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Models.TryGetValue(model, out ModelBackendOptions? perModel);
        string backend = perModel?.Backend ?? options.Backend;
        string provider = perModel?.ExecutionProvider ?? options.ExecutionProvider;
        if (!factories.TryGetValue(backend, out IModelBackendFactory? factory))
        {
            // The options validator refuses this at start; reaching it means a factory was not registered.
            throw new InvalidOperationException($"model '{model}': backend '{backend}' is not in this build (it has {string.Join(", ", Available)}).");
        }
        return factory.Load(model, packageDir, provider, options, logger);
    }
}
