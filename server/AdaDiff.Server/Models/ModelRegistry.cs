using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Scheduling;
using AdaDiff.Engine.Text;
using AdaDiff.Server.Backends;
using AdaDiff.Server.Internal;
using AdaDiff.Server.Metrics;
using Microsoft.Extensions.Options;

namespace AdaDiff.Server.Models;

/// <summary>
/// The models the server serves: one backend and one <see cref="GenerationScheduler"/> per package of
/// the <see cref="ModelCatalog"/>, loaded once by <see cref="Load"/>. Lookups are by validated name only.
/// </summary>
public sealed class ModelRegistry : IAsyncDisposable
{
    private readonly ModelCatalog catalog;
    private readonly ModelBackends backends;
    private readonly AdaDiffMetrics metrics;
    private readonly AdaDiffOptions options;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ServedModel[] models = [];
    private volatile Dictionary<string, ServedModel> byName = new(StringComparer.Ordinal);
    private volatile UnavailableModel[] unavailable = [];
    private int loadStarted;
    private bool disposed;

    /// <summary>Creates an empty registry; <see cref="Load"/> fills it.</summary>
    public ModelRegistry(ModelCatalog catalog, ModelBackends backends, AdaDiffMetrics metrics, IOptions<AdaDiffOptions> options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        this.catalog = catalog;
        this.backends = backends;
        this.metrics = metrics;
        this.options = options.Value;
        this.loggerFactory = loggerFactory;
        logger = loggerFactory.CreateLogger<ModelRegistry>();
    }

    /// <summary>Completes when every model is loaded; faults with the load error.</summary>
    public Task Ready => ready.Task;

    /// <summary>True once every model is loaded.</summary>
    public bool IsReady => ready.Task.IsCompletedSuccessfully;

    /// <summary>The error that stopped loading, or null.</summary>
    public Exception? LoadError => ready.Task.Exception?.InnerException;

    /// <summary>Loaded models, default first (empty until ready).</summary>
    public IReadOnlyList<ServedModel> Models => models;

    /// <summary>Packages of the repository that failed to load and are not served (empty until ready).</summary>
    public IReadOnlyList<UnavailableModel> Unavailable => unavailable;

    /// <summary>The unavailable package named <paramref name="name"/>, or null.</summary>
    public UnavailableModel? FindUnavailable(string name) => Array.Find(unavailable, u => u.Name == name);

    /// <summary>The default model's name.</summary>
    public string DefaultModel => catalog.DefaultModel;

    /// <summary>Finds a loaded model by exact name.</summary>
    public bool TryGet(string name, [NotNullWhen(true)] out ServedModel? model) => byName.TryGetValue(name, out model);

    /// <summary>Loads every model of the catalog (blocking; call once, off the request path).</summary>
    public void Load(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref loadStarted, 1) != 0)
        {
            throw new InvalidOperationException("The models are already loading or loaded.");
        }
        List<ServedModel> loaded = [];
        try
        {
            ServerLog.LoadingModels(logger, catalog.Repository, catalog.DefaultModel);
            List<UnavailableModel> unavailable = [.. catalog.Unavailable];
            foreach (ModelCatalog.Entry entry in catalog.Entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    loaded.Add(LoadOne(entry));
                }
                catch (Exception e) when (entry.Name != catalog.DefaultModel && !options.StrictModelLoading && e is not OperationCanceledException)
                {
                    // One broken package is marked unavailable; the others serve.
                    ServerLog.ModelUnavailable(logger, entry.Name, e.Message);
                    unavailable.Add(UnavailableModel.From(entry.Name, e, catalog.Repository));
                }
            }
            ServedModel[] models = [.. loaded];
            byName = models.ToDictionary(m => m.Name, StringComparer.Ordinal);
            this.unavailable = [.. unavailable];
            this.models = models;
            ServerLog.ModelsReady(logger, models.Length);
            ready.TrySetResult();
        }
        catch (Exception e)
        {
            foreach (ServedModel model in loaded)
            {
                ReleaseAsync(model).AsTask().GetAwaiter().GetResult();
            }
            ready.TrySetException(e);
            throw;
        }
    }

    private ServedModel LoadOne(ModelCatalog.Entry entry)
    {
        long start = Stopwatch.GetTimestamp();
        IDenoiserBackend backend = backends.Load(entry.Name, entry.Directory, options, logger);
        try
        {
            PngCodec.EnsureSupported(entry.Manifest.Channels, entry.Name);
            PromptTokenizer? tokenizer = LoadTokenizer(entry);
            BackendWarmup.Run(backend);
            SchedulerLimits limits = SchedulerLimits.Resolve(options, backend.Manifest, maxRows => BatchSizing.Measure(backend, maxRows));
            LogLimits(entry.Name, limits);
            var observer = new ModelObserver(metrics, entry.Name, backend.Name, entry.Manifest.NoiseSchedule.Timesteps);
            #pragma warning disable CA2000 // the served model carries it; the registry disposes it when the model is unloaded
            var scheduler = new GenerationScheduler(
                backend,
                limits.ToSchedulerOptions(options),
                observer,
                loggerFactory.CreateLogger<GenerationScheduler>());
            #pragma warning restore CA2000
            observer.Occupancy(0, 0);
            ServerLog.ModelLoaded(logger, entry.Name, backend.Name, backend.ExecutionProvider, entry.Manifest.Depth,
                entry.Manifest.Height, entry.Manifest.Width, entry.Manifest.Channels, Stopwatch.GetElapsedTime(start).TotalSeconds);
            return new ServedModel(entry.Name, backend.Manifest, backend, scheduler, entry.Name == catalog.DefaultModel, new RequestCounter(metrics, entry.Name, backend.Name), tokenizer);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A text model's tokenizer over its package's <see cref="PromptVocabulary.FileName"/>, which must be the
    /// vocabulary the manifest names (same hash and token counts); null for a class model.
    /// </summary>
    /// <exception cref="InvalidDataException">The vocabulary is missing, invalid or not the one the model was trained with.</exception>
    internal static PromptTokenizer? LoadTokenizer(ModelCatalog.Entry entry)
    {
        if (entry.Manifest.Conditioning != ConditioningKind.Text)
        {
            return null;
        }
        TextConditioning text = entry.Manifest.Text!;
        string path = Path.Combine(entry.Directory, PromptVocabulary.FileName);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path}: missing; a text model's package carries the prompt vocabulary it was trained with");
        }
        PromptVocabulary vocabulary = PromptVocabulary.Load(path);
        if (vocabulary.Sha256 != text.VocabularySha256 || vocabulary.Count != text.VocabularySize || vocabulary.MaxTokens != text.MaxTokens)
        {
            throw new InvalidDataException(
                $"{path}: not the vocabulary model.json names (sha256 {vocabulary.Sha256}, {vocabulary.Count} tokens, {vocabulary.MaxTokens} a prompt; "
                + $"model.json says sha256 {text.VocabularySha256}, {text.VocabularySize} tokens, {text.MaxTokens} a prompt)");
        }
        return new PromptTokenizer(vocabulary);
    }

    private void LogLimits(string model, SchedulerLimits limits)
    {
        string activeSource = limits.ActiveConfigured ? "configured" : "as many as the rows";
        if (limits.Derived is not { } derived)
        {
            ServerLog.BatchLimitsConfigured(logger, model, limits.MaxBatchRows, limits.MaxActiveJobs, activeSource);
            return;
        }
        ServerLog.PassTimesMeasured(logger, model, BatchSizing.Describe(limits.Timings!));
        ServerLog.BatchLimitsDerived(logger, model, limits.MaxBatchRows, derived.KneeRows, derived.KneeRowsPerSecond, derived.KneeFraction,
            derived.BestRowsPerSecond, derived.BestRows, limits.MinRows, limits.MaxRows, limits.MaxActiveJobs, activeSource);
    }

    private static async ValueTask ReleaseAsync(ServedModel model)
    {
        await model.Scheduler.DisposeAsync().ConfigureAwait(false);
        model.Backend.Dispose();
    }

    /// <summary>Stops every scheduler (cancelling its jobs) and frees every backend.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        foreach (ServedModel model in models)
        {
            await ReleaseAsync(model).ConfigureAwait(false);
        }
        models = [];
        byName = new(StringComparer.Ordinal);
    }
}
