namespace AdaDiff.Server.Models;

/// <summary>A model package of the repository that is not served: its manifest or its weights failed to load.</summary>
/// <param name="Name">Model name (its folder name).</param>
/// <param name="Reason">Why, for ListModels, /readyz and the log; paths inside the repository are written relative to it.</param>
public sealed record UnavailableModel(string Name, string Reason)
{
    /// <summary>The reason of <paramref name="error"/>, its repository paths made relative (clients do not learn the server's layout).</summary>
    public static UnavailableModel From(string name, Exception error, string repository)
    {
        ArgumentNullException.ThrowIfNull(error);
        string message = error.Message.Replace(Path.TrimEndingDirectorySeparator(repository) + Path.DirectorySeparatorChar, string.Empty, StringComparison.Ordinal);
        return new UnavailableModel(name, message);
    }
}
