using AdaDiff.Engine;
using AdaDiff.Server.Internal;
using Microsoft.Extensions.Options;

namespace AdaDiff.Server.Models;

/// <summary>
/// The model packages of the repository: every folder with a valid name and a <c>model.json</c>, read
/// at construction (manifests only; weights are loaded by <see cref="ModelRegistry"/>). The default model first.
/// </summary>
public sealed class ModelCatalog
{
    /// <summary>A model package found in the repository.</summary>
    /// <param name="Name">Folder name = model name.</param>
    /// <param name="Directory">Absolute folder path.</param>
    /// <param name="Manifest">Its validated manifest.</param>
    public sealed record Entry(string Name, string Directory, ModelManifest Manifest);

    /// <summary>Reads every model package of <see cref="AdaDiffOptions.ModelRepository"/>.</summary>
    /// <exception cref="InvalidOperationException">The default model is missing.</exception>
    /// <exception cref="InvalidDataException">The default model's manifest is invalid, or any with <see cref="AdaDiffOptions.StrictModelLoading"/>.</exception>
    public ModelCatalog(IOptions<AdaDiffOptions> options, ILogger<ModelCatalog> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        AdaDiffOptions o = options.Value;
        Repository = o.ModelRepository ?? throw new InvalidOperationException($"{AdaDiffOptions.SectionName}:ModelRepository is not set.");
        DefaultModel = o.DefaultModel;

        List<Entry> entries = [];
        List<UnavailableModel> unavailable = [];
        foreach (string dir in Directory.EnumerateDirectories(Repository).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(dir);
            if (!AdaDiffOptionsValidator.ModelName().IsMatch(name))
            {
                ServerLog.ModelFolderSkipped(logger, dir, $"'{name}' is not a valid model name ({AdaDiffOptions.ModelNamePattern})");
                continue;
            }
            string manifestPath = Path.Combine(dir, "model.json");
            if (!File.Exists(manifestPath))
            {
                ServerLog.ModelFolderSkipped(logger, dir, "no model.json");
                continue;
            }
            try
            {
                entries.Add(new Entry(name, dir, ModelManifest.Load(manifestPath)));
            }
            catch (Exception e) when (name != DefaultModel && !o.StrictModelLoading && e is InvalidDataException or IOException or System.Text.Json.JsonException)
            {
                // Another model's broken manifest does not stop the default one from serving.
                ServerLog.ModelUnavailable(logger, name, e.Message);
                unavailable.Add(UnavailableModel.From(name, e, Repository));
            }
        }

        int defaultIndex = entries.FindIndex(e => e.Name == DefaultModel);
        if (defaultIndex < 0)
        {
            string found = entries.Count == 0 ? "none" : string.Join(", ", entries.Select(e => e.Name));
            throw new InvalidOperationException(
                $"The default model '{DefaultModel}' is not in the model repository '{Repository}' (models found: {found}). " +
                $"Set {AdaDiffOptions.SectionName}:DefaultModel or {AdaDiffOptions.SectionName}:ModelRepository.");
        }
        Entry defaultEntry = entries[defaultIndex];
        entries.RemoveAt(defaultIndex);
        entries.Insert(0, defaultEntry);
        Entries = entries;
        Unavailable = unavailable;
        MaxDepth = entries.Max(e => e.Manifest.Depth);
    }

    /// <summary>Absolute path of the model repository.</summary>
    public string Repository { get; }

    /// <summary>Name of the default model.</summary>
    public string DefaultModel { get; }

    /// <summary>The packages, default model first, then by name.</summary>
    public IReadOnlyList<Entry> Entries { get; }

    /// <summary>Packages whose manifest could not be read (only without <see cref="AdaDiffOptions.StrictModelLoading"/>).</summary>
    public IReadOnlyList<UnavailableModel> Unavailable { get; }

    /// <summary>Depth of the deepest model.</summary>
    public int MaxDepth { get; }
}
